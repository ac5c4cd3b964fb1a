using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace CrmToolkit.Tests.Infrastructure.Fuzz;

/// <summary>A workspace the fuzzer may wreck: its owner's session, a contact, and the peer as a member.</summary>
public sealed record Target(string WorkspaceId, string Token, Guid UserId, Guid ContactId);

/// <summary>
/// Real accounts for the generated requests. A base account (never used by a generated request, so it stays
/// signed in) creates a fresh workspace per target without hashing a password; a peer account is a member
/// of every target, and its own workspace is "another workspace". Targets that a request may have ended
/// (logout, switch, deletions, role changes) are dropped and replaced.
/// </summary>
public sealed partial class FuzzWorld
{
    private static readonly HashSet<string> Destructive =
    [
        "POST /api/auth/logout", "POST /api/auth/switch", "DELETE /api/workspaces/{workspaceId}",
        "DELETE /api/workspaces/{workspaceId}/members/{userId}", "PATCH /api/workspaces/{workspaceId}/members/{userId}",
        "POST /api/me/invitations/{invitationId}/accept",
    ];

    private readonly ConcurrentBag<Target> _targets = [];
    private readonly SemaphoreSlim _peerJoins = new(1, 1);
    private string _peerToken;

    private FuzzWorld(Account owner, Account peer)
    {
        Owner = owner;
        Peer = peer;
        _peerToken = peer.Token;
    }

    public Account Owner { get; }

    public Account Peer { get; }

    public static async Task<FuzzWorld> CreateAsync(ApiClient client) =>
        new(await client.RegisterAsync("Fuzz base"), await client.RegisterAsync("Fuzz peer"));

    public async Task<Target> TakeAsync(ApiClient client) => _targets.TryTake(out var target) ? target : await NewTargetAsync(client);

    /// <summary>Gives the target back for the next request, unless this one may have ended its session or workspace.</summary>
    public void Return(Target target, FuzzCase fuzz)
    {
        if (!Destructive.Contains(fuzz.Operation.Name) || fuzz.Auth is not (AuthKind.Valid or AuthKind.LowerCaseScheme or AuthKind.TwoTokens))
        {
            _targets.Add(target);
        }
    }

    public async Task<Target> NewTargetAsync(ApiClient client)
    {
        var created = await (await client.PostAsync("/api/workspaces", new { name = "Fuzz target" }, Owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        var workspaceId = created.GetProperty("workspace").GetProperty("id").GetString()!;
        var token = created.GetProperty("session").GetProperty("token").GetString()!;
        var contact = await (await client.PostAsync($"/api/workspaces/{workspaceId}/contacts", new { firstName = "Ada", lastName = "Lovelace" }, token))
            .ReadJsonAsync(HttpStatusCode.Created);
        // The peer joins by invitation, accepting with a session in its own workspace, which no fuzz request can end,
        // and switching back to it (accepting ends the session it is accepted with). It cannot log in for a new one:
        // the fuzz's wrong-password logins with the peer's email lock its account out.
        var invitation = await client.InviteAsync(Owner with { WorkspaceId = workspaceId, Token = token }, Peer.Email, "member");
        await _peerJoins.WaitAsync();
        try
        {
            var joined = await client.AcceptAsync(_peerToken, invitation);
            var home = await client.PostAsync("/api/auth/switch", new { workspaceId = Peer.WorkspaceId }, joined);
            _peerToken = (await home.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("session").GetProperty("token").GetString()!;
        }
        finally
        {
            _peerJoins.Release();
        }

        return new Target(workspaceId, token, Owner.UserId, contact.GetProperty("id").GetGuid());
    }

    /// <summary>The request a case describes, with its placeholders filled in from <paramref name="target"/>.</summary>
    public HttpRequestMessage Build(FuzzCase fuzz, Target target)
    {
        var values = fuzz.Path.GetEnumerator();
        var path = string.Join('/', fuzz.Operation.Template.Split('/').Select(segment =>
        {
            if (!segment.StartsWith('{'))
            {
                return Fill(segment, target, json: false); // literal segments go on the wire as written
            }

            values.MoveNext();
            return Url(values.Current, target);
        }));
        var query = string.Join('&', fuzz.Query.Select(q => $"{PercentEncode(q.Name)}={Url(q.Value, target)}"));
        var request = new HttpRequestMessage(new HttpMethod(fuzz.Method), query.Length == 0 ? path : $"{path}?{query}");

        if (Authorization(fuzz, target) is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            if (fuzz.Auth == AuthKind.InvalidUtf8)
            {
                request.Options.Set(ApiClient.HeaderEncoding, Encoding.Latin1);
            }
            else if (authorization.Any(c => c > '\u007F'))
            {
                request.Options.Set(ApiClient.HeaderEncoding, Encoding.UTF8);
            }
        }

        if (fuzz.Body is { } body)
        {
            request.Content = new ByteArrayContent(body.Bytes ?? Encoding.UTF8.GetBytes(Fill(body.Text!, target, json: true)));
            if (fuzz.ContentType is { } contentType)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        return request;
    }

    /// <summary>Everything the request says, for telling echoes of the request from leaks.</summary>
    public static string Describe(HttpRequestMessage request, FuzzCase fuzz, Target target) =>
        $"{Uri.UnescapeDataString(request.RequestUri!.OriginalString)} {string.Join(' ', request.Headers.Select(h => string.Join(' ', h.Value)))} "
        + (fuzz.Body?.Text is { } text ? text : fuzz.Body?.Bytes is { } bytes ? Encoding.UTF8.GetString(bytes) : "")
        + $" {target.WorkspaceId} {target.Token}";

    private string? Authorization(FuzzCase fuzz, Target target)
    {
        var secret = target.Token[(target.Token.IndexOf('.', StringComparison.Ordinal) + 1)..];
        return fuzz.Auth switch
        {
            AuthKind.Valid => $"Bearer {target.Token}",
            AuthKind.LowerCaseScheme => $"bearer {target.Token}",
            AuthKind.None => null,
            AuthKind.Empty => "",
            AuthKind.SchemeOnly => "Bearer",
            AuthKind.TokenWithoutScheme => target.Token,
            AuthKind.WrongScheme => "Basic dXNlcjpwYXNzd29yZA==",
            AuthKind.WrongSecret => $"Bearer {target.WorkspaceId}.{fuzz.AuthNoise}",
            AuthKind.ForeignWorkspacePrefix => $"Bearer {Peer.WorkspaceId}.{secret}",
            AuthKind.LookalikeWorkspacePrefix => $"Bearer {Variant(target.WorkspaceId, "cyr")}.{secret}",
            AuthKind.Truncated => $"Bearer {target.Token[..^1]}",
            AuthKind.Padded => $"Bearer {target.Token}A",
            AuthKind.TwoTokens => $"Bearer {target.Token}, Bearer {target.Token}",
            AuthKind.Oversized => $"Bearer {target.WorkspaceId}.{new string('A', 100_000)}",
            AuthKind.NonAscii => $"Bearer {target.Token}ü",
            AuthKind.InvalidUtf8 => $"Bearer {target.WorkspaceId}.\u00C3\u0028{secret[2..]}",
            // Header values cannot carry line breaks at all (the client refuses them), so those become spaces.
            AuthKind.Garbage => $"Bearer {fuzz.AuthNoise.Replace('\r', ' ').Replace('\n', ' ')}",
            _ => throw new ArgumentOutOfRangeException(nameof(fuzz), fuzz.Auth, null),
        };
    }

    private string Url(UrlValue value, Target target) => value.Verbatim ? value.Value : PercentEncode(Fill(value.Value, target, json: false));

    /// <summary>Fills <c>⟦name⟧</c> and <c>⟦name:variant⟧</c> placeholders (JSON-escaped inside a JSON body).</summary>
    public string Fill(string text, Target target, bool json) =>
        Placeholder().Replace(text, match =>
        {
            var value = match.Groups["name"].Value switch
            {
                "ws" => target.WorkspaceId,
                "otherWs" => Peer.WorkspaceId,
                "user" => target.UserId.ToString(),
                "peer" => Peer.UserId.ToString(),
                "contact" => target.ContactId.ToString(),
                "peerEmail" => Peer.Email,
                "peerPassword" => Peer.Password,
                var other => throw new InvalidOperationException($"Unknown placeholder {other}"),
            };
            value = Variant(value, match.Groups["variant"].Value);
            return json ? FuzzGen.JsonString(value)[1..^1] : value;
        });

    /// <summary>Look-alikes of a workspace id or email: Cyrillic letters, fullwidth forms, zero-width spaces, other case, bad lengths.</summary>
    public static string Variant(string value, string variant) => variant switch
    {
        "" => value,
        "cyr" => ReplaceFirst(value, c => c switch
        {
            'a' => 'а', 'e' => 'е', 'o' => 'о', 'c' => 'с', 'p' => 'р', 'x' => 'х', 'y' => 'у',
            'A' => 'А', 'E' => 'Е', 'O' => 'О', 'C' => 'С', 'P' => 'Р', 'X' => 'Х', 'B' => 'В', 'H' => 'Н', 'K' => 'К', 'M' => 'М', 'T' => 'Т',
            _ => null,
        }) ?? "а" + value[1..],
        "full" => value.Contains('@', StringComparison.Ordinal)
            ? value.Replace('@', '＠')
            : ReplaceFirst(value, c => char.IsAsciiLetterOrDigit(c) ? (char)(c + 0xFEE0) : null)!,
        "zw" => value.Insert(value.Length / 2, "\u200B"),
        "case" => string.Concat(value.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c))),
        "short" => value[..9],
        "long" => value + "abcdef",
        "space" => $" {value} ",
        "nul" => value + "\u0000",
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
    };

    private static string? ReplaceFirst(string value, Func<char, char?> replacement)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (replacement(value[i]) is { } c)
            {
                return string.Concat(value.AsSpan(0, i), c.ToString(), value.AsSpan(i + 1));
            }
        }

        return null;
    }

    /// <summary>Percent-encodes the UTF-8 of everything but RFC 3986's unreserved characters (lone surrogates become U+FFFD).</summary>
    public static string PercentEncode(string value)
    {
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }

    [GeneratedRegex("⟦(?<name>[A-Za-z]+)(:(?<variant>[a-z]+))?⟧")]
    private static partial Regex Placeholder();
}
