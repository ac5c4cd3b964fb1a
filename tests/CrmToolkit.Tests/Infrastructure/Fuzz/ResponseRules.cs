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

    /// <summary>What no field of a response may be called.</summary>
    private static readonly string[] SecretFieldNames = ["password", "hash", "stack", "exception", "sql", "secret"];

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

        // A success echoes what clients stored (names may well say "SELECT " or "Exception", sent by an earlier
        // request), so only its field names are held to the markers; an error echoes nothing but this request.
        var (names, values) = status is >= 200 and < 300 ? Fields(body) : ([], [body]);
        if (names.FirstOrDefault(n => SecretFieldNames.Any(s => n.Contains(s, StringComparison.OrdinalIgnoreCase))) is { } name)
        {
            return $"the response has a field '{name}'";
        }

        foreach (var marker in LeakMarkers)
        {
            if (status >= 400 && body.Contains(marker, StringComparison.Ordinal) && !requestText.Contains(marker, StringComparison.Ordinal))
            {
                return $"the response contains '{marker}', which the request did not send";
            }
        }

        foreach (var match in values.SelectMany(v => HashLike().Matches(v)).Select(m => m.Value))
        {
            if (!requestText.Contains(match, StringComparison.Ordinal))
            {
                return $"the response contains a hash-like string '{match}'";
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

    /// <summary>Every property name and string value in a JSON body (none for a body that is not JSON).</summary>
    private static (List<string> Names, List<string> Values) Fields(string body)
    {
        var (names, values) = (new List<string>(), new List<string>());
        try
        {
            using var json = JsonDocument.Parse(body.Length == 0 ? "null" : body);
            Walk(json.RootElement);
        }
        catch (JsonException)
        {
            values.Add(body);
        }

        return (names, values);

        void Walk(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        names.Add(property.Name);
                        Walk(property.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Walk(item);
                    }

                    break;
                case JsonValueKind.String:
                    values.Add(element.GetString()!);
                    break;
            }
        }
    }

    // A SHA-256 in hex (session ids are stored so) or an ASP.NET Core Identity password hash (base64, version 3).
    [GeneratedRegex(@"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])|AQAAAA[A-Za-z0-9+/]{20,}")]
    private static partial Regex HashLike();
}
