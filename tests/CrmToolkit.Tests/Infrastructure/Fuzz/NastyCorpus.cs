using System.Text;

namespace CrmToolkit.Tests.Infrastructure.Fuzz;

/// <summary>A hand-written nasty request and, where the contract pins it, the status it must get.</summary>
public sealed record NastyRequest(FuzzCase Case, int? Expected);

/// <summary>
/// Hand-written requests that have broken APIs like this one before. Paths and bodies use the placeholders of
/// <see cref="FuzzWorld"/> (<c>⟦ws⟧</c> is the caller's own workspace, <c>⟦peerEmail⟧</c> a real member's email).
/// </summary>
public static class NastyCorpus
{
    private const string Json = "application/json";
    private const string Password = "correct horse battery";

    public static readonly IReadOnlyDictionary<string, NastyRequest> Cases = new Dictionary<string, NastyRequest>
    {
        ["register: NUL in the email"] = Post("/api/auth/register", Register("fuzz\\u0000nul@example.com"), expected: 400),
        ["register: NUL in the name"] = Post("/api/auth/register", Register(Unique(), name: "Ada\\u0000Lovelace"), expected: 400),
        ["register: control character in the name"] = Post("/api/auth/register", Register(Unique(), name: "Ada\\u0007"), expected: 400),
        ["register: line break in the workspace name"] = Post("/api/auth/register", Register(Unique(), workspace: "Sales\\nTeam"), expected: 400),
        ["register: nothing but blanks around the @"] = Post("/api/auth/register", Register(" @ "), expected: 400),
        ["register: fullwidth at sign"] = Post("/api/auth/register", Register("fuzz＠example.com"), expected: 400),
        ["register: Cyrillic look-alike of an existing email"] = Post("/api/auth/register", Register("⟦peerEmail:cyr⟧"), expected: null),
        ["register: zero-width space in the email"] = Post("/api/auth/register", Register("⟦peerEmail:zw⟧"), expected: null),
        ["register: SQL in the email"] = Post("/api/auth/register", Register($"x'); DROP TABLE users; --{Guid.NewGuid():N}@example.com"), expected: null),
        ["register: name of 256 characters"] = Post("/api/auth/register", Register(Unique(), name: new string('n', 256)), expected: 400),
        ["register: lone surrogate in the name"] = Post("/api/auth/register", Register(Unique(), name: "Ada\\ud800"), expected: 400),
        ["register: numbers where strings go"] = Post("/api/auth/register", """{"email":1e400,"password":12345678,"name":-0}""", expected: 400),
        ["register: an array instead of an object"] = Post("/api/auth/register", $"[{Register(Unique())}]", expected: 400),
        ["register: JSON nested 10 000 deep"] = Post("/api/auth/register", new string('[', 10_000) + new string(']', 10_000), expected: 400),
        ["register: invalid UTF-8 in the email"] = Raw("POST", "/api/auth/register",
            [.. "{\"email\":\"a"u8, 0xC3, 0x28, .. Encoding.UTF8.GetBytes($"@example.com\",\"password\":\"{Password}\",\"name\":\"N\"}}")], Json, expected: 400),
        ["register: UTF-16 surrogate encoded as UTF-8 (CESU)"] = Raw("POST", "/api/auth/register",
            [.. "{\"email\":\"a@example.com\",\"password\":\"correct horse battery\",\"name\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8], Json, expected: 400),
        ["register: body just over 64 KB"] = Post("/api/auth/register", Register(Unique(), name: new string('n', 65_536)), expected: 413),
        ["register: a 1 MB name"] = Post("/api/auth/register", Register(Unique(), name: new string('n', 1_000_000)), expected: 413),
        ["register: text/plain"] = Post("/api/auth/register", Register(Unique()), contentType: "text/plain", expected: 415),
        ["register: form-encoded"] = Post("/api/auth/register", "email=a%40example.com&password=correct+horse+battery&name=N", contentType: "application/x-www-form-urlencoded", expected: 415),
        ["register: no content type"] = Post("/api/auth/register", Register(Unique()), contentType: null, expected: 415),
        ["register: unknown charset"] = Post("/api/auth/register", Register(Unique()), contentType: "application/json; charset=bogus", expected: 415),
        ["register: UTF-16 charset over UTF-8 bytes"] = Post("/api/auth/register", Register(Unique()), contentType: "application/json; charset=utf-16", expected: 415),
        ["register: Latin-1 charset"] = Post("/api/auth/register", Register(Unique()), contentType: "application/json; charset=latin1", expected: 415),
        ["login: NUL in the email"] = Post("/api/auth/login", """{"email":"⟦peerEmail⟧\u0000","password":"x"}""", expected: 400),
        ["login: control character in the email"] = Post("/api/auth/login", """{"email":"⟦peerEmail⟧\u001b[2J","password":"x"}""", expected: 400),
        ["login: Cyrillic look-alike of a real email"] = Post("/api/auth/login", """{"email":"⟦peerEmail:cyr⟧","password":"⟦peerPassword⟧"}""", expected: 401),
        ["login: look-alike workspace id"] = Post("/api/auth/login", """{"email":"⟦peerEmail⟧","password":"⟦peerPassword⟧","workspaceId":"⟦ws:cyr⟧"}""", expected: 404),
        ["switch: fullwidth look-alike of the workspace id"] = Post("/api/auth/switch", """{"workspaceId":"⟦ws:full⟧"}""", expected: 404),
        ["switch: NUL after the workspace id"] = Post("/api/auth/switch", """{"workspaceId":"⟦ws⟧\u0000"}""", expected: 404),
        ["me: a 100 KB bearer token (Kestrel refuses it)"] = Get("/api/me", AuthKind.Oversized, expected: 431),
        ["me: non-ASCII in the bearer token"] = Get("/api/me", AuthKind.NonAscii, expected: 401),
        ["me: invalid UTF-8 in the bearer token"] = Get("/api/me", AuthKind.InvalidUtf8, expected: 401),
        ["me: the right secret under a look-alike workspace"] = Get("/api/me", AuthKind.LookalikeWorkspacePrefix, expected: 401),
        ["me: the right secret under another workspace"] = Get("/api/me", AuthKind.ForeignWorkspacePrefix, expected: 401),
        ["me: the right workspace with a made-up secret"] = Get("/api/me", AuthKind.WrongSecret, noise: "mxqh6lKTql9U_Bjv6kQmJZQIiWOKj9T_66MfdGLfs2s", expected: 401),
        ["me: SQL as the bearer token"] = Get("/api/me", AuthKind.Garbage, noise: "' OR 1=1 --", expected: 401),
        ["me: two tokens in one header"] = Get("/api/me", AuthKind.TwoTokens, expected: 401),
        ["workspace: NUL after the id (Kestrel refuses it)"] = Get("/api/workspaces/⟦ws⟧%00", AuthKind.Valid, expected: 400),
        ["workspace: Cyrillic look-alike id"] = Get("/api/workspaces/⟦ws:cyr⟧", AuthKind.Valid, expected: 404),
        ["workspace: fullwidth look-alike id"] = Get("/api/workspaces/⟦ws:full⟧", AuthKind.Valid, expected: 404),
        ["workspace: zero-width space in the id"] = Get("/api/workspaces/⟦ws:zw⟧", AuthKind.Valid, expected: 404),
        ["workspace: the id in other case"] = Get("/api/workspaces/⟦ws:case⟧", AuthKind.Valid, expected: 404),
        ["workspace: encoded dot segments to another route"] = Get("/api/workspaces/⟦ws⟧/..%2F..%2Fme", AuthKind.Valid, expected: 404),
        ["workspace: overlong UTF-8 slash"] = Get("/api/workspaces/⟦ws⟧%C0%AFmembers", AuthKind.Valid, expected: 404),
        ["workspaces: create with a Cyrillic look-alike id"] = Post("/api/workspaces", """{"name":"Look-alike","id":"⟦ws:cyr⟧"}""", expected: 400),
        ["workspaces: create with NUL in the name"] = Post("/api/workspaces", """{"name":"Sales\u0000"}""", expected: 400),
        ["workspaces: create with NUL in the description"] = Post("/api/workspaces", """{"name":"Sales","description":"a\u0000b"}""", expected: 400),
        ["workspaces: rename to a tab-only name"] = Patch("/api/workspaces/⟦ws⟧", """{"name":"\t"}""", expected: 400),
        ["members: the v1 route to add a member directly"] = Post("/api/workspaces/⟦ws⟧/members", """{"email":"⟦peerEmail⟧","role":"owner"}""", expected: 405),
        ["invitations: NUL in the email"] = Post("/api/workspaces/⟦ws⟧/invitations", """{"email":"⟦peerEmail⟧\u0000","role":"member"}""", expected: 400),
        ["invitations: zero-width joiner in the email"] = Post("/api/workspaces/⟦ws⟧/invitations", """{"email":"⟦peerEmail⟧\u200D","role":"member"}""", expected: 400),
        ["invitations: Cyrillic look-alike email, invited like any other"] = Post("/api/workspaces/⟦ws⟧/invitations", """{"email":"⟦peerEmail:cyr⟧","role":"member"}""", expected: 201),
        ["invitations: role in capitals"] = Post("/api/workspaces/⟦ws⟧/invitations", """{"email":"⟦peerEmail⟧","role":"OWNER"}""", expected: 400),
        ["invitations: accept someone else's invitation by a made-up id"] = Post("/api/me/invitations/00000000-0000-0000-0000-000000000001/accept", "", expected: 404),
        ["members: role as a number"] = Patch("/api/workspaces/⟦ws⟧/members/⟦peer⟧", """{"role":0}""", expected: 400),
        ["members: a forged cursor holding NUL"] = Get($"/api/workspaces/⟦ws⟧/members?after={Cursor("""{"Email":"\u0000"}""")}", AuthKind.Valid, expected: 400),
        ["members: a forged cursor of the wrong shape"] = Get($"/api/workspaces/⟦ws⟧/members?after={Cursor("""{"Email":["a"]}""")}", AuthKind.Valid, expected: 400),
        ["contacts: NUL in the search"] = Get("/api/workspaces/⟦ws⟧/contacts?q=%00", AuthKind.Valid, expected: 400),
        ["contacts: SQL in the search"] = Get("/api/workspaces/⟦ws⟧/contacts?q=%27%20OR%201%3D1%20--", AuthKind.Valid, expected: 200),
        ["contacts: LIKE wildcards in the search"] = Get("/api/workspaces/⟦ws⟧/contacts?q=%25_%5C", AuthKind.Valid, expected: 200),
        ["contacts: a forged cursor holding NUL"] = Get(
            $"/api/workspaces/⟦ws⟧/contacts?after={Cursor("""{"LastName":"\u0000","FirstName":"\u0000","Id":"00000000-0000-0000-0000-000000000000"}""")}", AuthKind.Valid, expected: 400),
        ["contacts: a limit beyond int"] = Get("/api/workspaces/⟦ws⟧/contacts?limit=99999999999", AuthKind.Valid, expected: 400),
        ["contacts: a limit in fullwidth digits"] = Get("/api/workspaces/⟦ws⟧/contacts?limit=%EF%BC%95", AuthKind.Valid, expected: 400),
        ["contacts: NUL in the first name"] = Post("/api/workspaces/⟦ws⟧/contacts", """{"firstName":"Ada\u0000"}""", expected: 400),
        ["contacts: escape sequence in the company"] = Post("/api/workspaces/⟦ws⟧/contacts", """{"firstName":"Ada","company":"\u001b[31mACME"}""", expected: 400),
        ["contacts: nothing but blanks around the @"] = Patch("/api/workspaces/⟦ws⟧/contacts/⟦contact⟧", """{"email":" @ "}""", expected: 400),
        ["contacts: NUL in the notes"] = Patch("/api/workspaces/⟦ws⟧/contacts/⟦contact⟧", """{"notes":"a\u0000b"}""", expected: 400),
        ["contacts: notes of 10 001 characters"] = Post("/api/workspaces/⟦ws⟧/contacts", $$"""{"firstName":"Ada","notes":"{{new string('n', 10_001)}}"}""", expected: 400),
        ["contacts: notes over several lines with a tab are fine"] = Post("/api/workspaces/⟦ws⟧/contacts", """{"firstName":"Ada","notes":"line one\r\nline two\tand a tab"}""", expected: 201),
        ["workspaces: a description over several lines is fine"] = Post("/api/workspaces", """{"name":"Multi","description":"one\ntwo"}""", expected: 201),
        ["register: blanks around a good email are trimmed"] = Post("/api/auth/register", Register($"  {Unique()}  "), expected: 201),
        ["contacts: an id that is not a GUID"] = Get("/api/workspaces/⟦ws⟧/contacts/1%20OR%201=1", AuthKind.Valid, expected: 404),
        ["any: PUT on login"] = Post("/api/auth/login", "{}", method: "PUT", expected: 405),
        ["any: an unknown route with NUL (Kestrel refuses it)"] = Get("/api/%00", AuthKind.None, expected: 400),
    };

    private static string Unique() => $"fuzz-{Guid.NewGuid():N}@example.com";

    private static string Register(string email, string name = "Ada", string? workspace = null) =>
        $$"""{"email":"{{email}}","password":"{{Password}}","name":"{{name}}"{{(workspace is null ? "" : $",\"workspaceName\":\"{workspace}\"")}}}""";

    private static string Cursor(string json) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static NastyRequest Post(string path, string body, int? expected, string? contentType = Json, string method = "POST") =>
        Request(method, path, AuthKind.Valid, "", Payload.Json(body), contentType, expected);

    private static NastyRequest Patch(string path, string body, int? expected) => Post(path, body, expected, method: "PATCH");

    private static NastyRequest Get(string path, AuthKind auth, int? expected, string noise = "") =>
        Request("GET", path, auth, noise, null, null, expected);

    private static NastyRequest Raw(string method, string path, byte[] body, string contentType, int? expected) =>
        Request(method, path, AuthKind.Valid, "", Payload.Raw(body), contentType, expected);

    private static NastyRequest Request(string method, string pathAndQuery, AuthKind auth, string noise, Payload? body, string? contentType, int? expected)
    {
        var parts = pathAndQuery.Split('?', 2);
        var query = parts.Length == 2
            ? parts[1].Split('&').Select(p => p.Split('=', 2)).Select(p => (p[0], new UrlValue(p[1], Verbatim: true))).ToList()
            : [];
        var operation = new ApiOperation(method, parts[0], null, [], new HashSet<int>());
        return new NastyRequest(new FuzzCase(operation, method, [], query, auth, noise, body, contentType), expected);
    }
}
