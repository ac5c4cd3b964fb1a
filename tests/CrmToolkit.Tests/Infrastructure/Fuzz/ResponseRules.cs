using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CrmToolkit.Tests.Infrastructure.Fuzz;

/// <summary>
/// What every response must be, whatever the request: below 500; a 4xx is an RFC 9457 problem
/// (<c>application/problem+json</c> with <c>status</c> and <c>title</c>); a 2xx is one the OpenAPI document lists for
/// the route the request reached; and nothing looks like a stack trace, exception, SQL or a hash unless the
/// request itself sent that text (an API may echo what it stored).
/// </summary>
public static partial class ResponseRules
{
    private static readonly string[] LeakMarkers =
    [
        "   at ", "Exception", "exception", "Npgsql", "PostgreSQL", "SqlState", "StackTrace", "stackTrace", "SELECT ", "INSERT ", "UPDATE ", "DELETE FROM",
        " FROM ", "WHERE ", "pbkdf2", "PBKDF2", "password_hash", "passwordHash", "AQAAAA", "crm_session", "System.", "Microsoft.",
    ];

    /// <summary>
    /// A request Kestrel refuses before the application runs (header fields over 32 KB: 431; a request line over
    /// 8 KB: 414; a NUL in the path or another unparsable request line: 400). ASP.NET Core has no hook to give these
    /// a body; Kestrel answers them with an empty body and closes the connection, which no response of the
    /// application does.
    /// </summary>
    public static bool IsProtocolRejection(HttpResponseMessage response, string body) =>
        (int)response.StatusCode is 400 or 414 or 431 && body.Length == 0 && response.Headers.ConnectionClose == true
        && response.Content.Headers.ContentType is null;

    /// <summary>Null when the response keeps every rule, else what is wrong with it.</summary>
    public static string? Check(ApiSurface surface, HttpRequestMessage request, HttpResponseMessage response, string body, string requestText)
    {
        var status = (int)response.StatusCode;
        var headers = response.Content.Headers;
        if (status >= 500)
        {
            return $"server error {status}";
        }

        if (status is >= 200 and < 300)
        {
            var path = RoutedPath(request.RequestUri!.AbsolutePath);
            var documented = surface.DocumentedSuccesses(request.Method.Method, path);
            if (!documented.Contains(status))
            {
                return $"{status} is not a documented success of {request.Method} {path} (documented: {string.Join(", ", documented)})";
            }
        }
        else if (status is >= 400 and < 500 && !IsProtocolRejection(response, body) && ProblemViolation(status, headers, body) is { } problem)
        {
            return problem;
        }
        else if (status is < 200 or (>= 300 and < 400))
        {
            return $"unexpected status {status}";
        }

        foreach (var marker in LeakMarkers)
        {
            if (body.Contains(marker, StringComparison.Ordinal) && !requestText.Contains(marker, StringComparison.Ordinal))
            {
                return $"the response contains '{marker}', which the request did not send";
            }
        }

        foreach (Match match in HashLike().Matches(body))
        {
            if (!requestText.Contains(match.Value, StringComparison.Ordinal))
            {
                return $"the response contains a hash-like string '{match.Value}'";
            }
        }

        return null;
    }

    private static string? ProblemViolation(int status, HttpContentHeaders headers, string body)
    {
        if (headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} with content type '{headers.ContentType}' instead of application/problem+json (body: {Payload.Shorten(body)})";
        }

        try
        {
            using var problem = JsonDocument.Parse(body);
            var root = problem.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.Number || s.GetInt32() != status
                || !root.TryGetProperty("title", out var title) || string.IsNullOrWhiteSpace(title.GetString()))
            {
                return $"{status} problem without a matching status and a title: {Payload.Shorten(body)}";
            }
        }
        catch (JsonException)
        {
            return $"{status} problem that is not JSON: {Payload.Shorten(body)}";
        }

        return null;
    }

    /// <summary>The path as Kestrel routes it: percent-decoded (except <c>%2F</c>), dot segments removed.</summary>
    public static string RoutedPath(string absolutePath)
    {
        var decoded = Uri.UnescapeDataString(absolutePath.Replace("%2F", "%252F", StringComparison.OrdinalIgnoreCase));
        var segments = new List<string>();
        foreach (var segment in decoded.Split('/'))
        {
            if (segment == "..")
            {
                if (segments.Count > 1)
                {
                    segments.RemoveAt(segments.Count - 1);
                }
            }
            else if (segment != ".")
            {
                segments.Add(segment);
            }
        }

        return string.Join('/', segments);
    }

    // A SHA-256 in hex (session ids are stored so) or a long base64 run such as a password hash.
    [GeneratedRegex("[0-9a-fA-F]{64}|[A-Za-z0-9+/]{60,}={0,2}")]
    private static partial Regex HashLike();
}
