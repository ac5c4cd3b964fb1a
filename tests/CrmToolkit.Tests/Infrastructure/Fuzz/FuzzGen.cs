using System.Globalization;
using System.Text;
using CsCheck;

namespace CrmToolkit.Tests.Infrastructure.Fuzz;

/// <summary>
/// CsCheck generators for bad input: bodies built from each operation's documented schema and then mutated
/// (missing and extra fields, wrong JSON types, huge strings and numbers, control characters, SQL and JSON
/// metacharacters, look-alike emails and workspace ids), raw invalid UTF-8, wrong content types, oversized
/// bodies, malformed tokens and path segments. Half of the requests carry a valid token.
/// </summary>
public static class FuzzGen
{
    /// <summary>Strings that have broken parsers, databases and validators before.</summary>
    public static readonly string[] NastyStrings =
    [
        "", " ", "   ", "\t", "\r\n", "\u00A0", "\u3000", "\u200B", "\uFEFF",
        "\u0000", "a\u0000b", "\u0000@example.com", "\u0001\u0002\u001F", "\u007F", "\u0085", "\u2028\u2029", "line\nbreak", "bell\u0007",
        "' OR '1'='1", "'; DROP TABLE users; --", "\" OR \"\"=\"", "%", "_", "%_%", "\\", "\\\\'", "$1", "1; SELECT pg_sleep(5)", "' UNION SELECT password_hash FROM users --",
        "{\"a\":1}", "\"", "\\\"", "]", "}", "{", "[", "\\u0000", "null", "true", "0", "-1", "1e309", "NaN", "Infinity",
        "<script>alert(1)</script>", "../../etc/passwd", "..\\..\\windows", "%00", "%2e%2e%2f", "${jndi:ldap://x}", "{{7*7}}",
        "аdmin@example.com", "admin＠example.com", "ad\u200Bmin@example.com", "\u202Eevil", "e\u0301", "😀", "😀😀😀", "\uD83D", "\uDE00", "a\uD800b",
        "ǅ", "ß", "İ", "ﬃ", "Ω", "Å", "\u0130stanbul@example.com", "A@B.C", "@", " @ ", "a@", "@b", "a@b@c", "\"q\"@example.com", "a..b@example.com", "a@b",
        "owner", "OWNER", "Owner ", "admin", "member", "superuser", "0wner",
        new string('x', 7), new string('x', 8), new string('x', 50), new string('x', 51), new string('x', 100), new string('x', 101),
        new string('x', 128), new string('x', 129), new string('x', 255), new string('x', 256), new string('é', 256), string.Concat(Enumerable.Repeat("😀", 128)),
        new string('x', 1_024), new string('x', 10_000), new string('x', 10_001), new string(' ', 300), new string('\u0000', 64),
    ];

    /// <summary>Path segments that routing, decoding and parsing must survive (sent verbatim).</summary>
    public static readonly string[] NastySegments =
    [
        "%00", "abc%00defghijk", "..", "%2e%2e", "..%2f..%2fme", "%2F", "%252F", "%C0%AF", "%C3%28", "%E2%80%AE", "%EF%BC%A1bcdefghijk",
        "%D0%B0bcdefghijk", "abcdefghij%E2%80%8B", "%20", "%0A", "%0D%0A", "%09", "'%20OR%201=1--", "%27", "%22", "null", "undefined",
        "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "{00000000-0000-0000-0000-000000000000}", "-1", "0", "1e9",
        "abcdefghijklmnopqrstu", "abcdefghi", new string('a', 5_000), "%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80%F0%9F%98%80", "%ff%fe",
    ];

    private static readonly string[] WrongTypes =
    [
        "0", "-1", "1.5", "1e308", "-1e308", "1e400", "9223372036854775808", "-9223372036854775809", "340282366920938463463374607431768211456",
        "true", "false", "null", "[]", "{}", "[\"x\"]", "{\"a\":\"b\"}", "[[[[[[[[]]]]]]]]", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\\ud800\"",
    ];

    private static readonly string[] StructuralBodies =
    [
        "", " ", "null", "true", "0", "-0", "1e999", "\"string\"", "[]", "[{}]", "[1,2,3]", "{", "}", "{\"a\":", "{\"a\"}", "{,}", "{\"a\":1,}",
        "{\"a\":1}{\"b\":2}", "{'a':'b'}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":undefined}", "/* c */ {}", "{} // c", "\uFEFF{}",
        "{\"__proto__\":{\"admin\":true}}", "{\"$type\":\"System.IO.FileInfo, System.IO.FileSystem\",\"fileName\":\"/etc/passwd\"}",
        "{\"a\":\"\\uZZZZ\"}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\\"}", "{\"\":\"\"}", "{\"email\":{\"$gt\":\"\"}}",
        new string('[', 10_000) + new string(']', 10_000), string.Concat(Enumerable.Repeat("{\"a\":", 2_000)) + "1" + new string('}', 2_000),
        "[" + string.Join(",", Enumerable.Repeat("1", 20_000)) + "]",
    ];

    private static readonly byte[][] RawBodies =
    [
        [0xC3, 0x28], [0xA0, 0xA1], [0xE2, 0x28, 0xA1], [0xF0, 0x28, 0x8C, 0xBC], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
        [0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00], [0xFE, 0xFF], [0x00], [0x00, 0x00, 0x00, 0x00], [0x1F, 0x8B, 0x08, 0x00],
    ];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/xml",
        "application/json; charset=latin1", "application/json; charset=iso-8859-1", "application/json; charset=utf-16", "application/json; charset=bogus",
        "application/json; charset=\"utf-8\"", "application/json;charset=UTF-8", "Application/JSON", "application/problem+json", "application/*", "*/*",
        "application/json, text/plain", "application/vnd.api+json", "json", ";", "application/json; boundary=x; charset=utf-8; charset=utf-8",
    ];

    private static readonly string[] OtherMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    private static readonly string[] WorkspaceLookalikes = ["⟦ws:cyr⟧", "⟦ws:full⟧", "⟦ws:zw⟧", "⟦ws:case⟧", "⟦ws:short⟧", "⟦ws:long⟧", "⟦ws:space⟧", "⟦ws:nul⟧"];

    private static readonly string[] EmailLookalikes = ["⟦peerEmail:cyr⟧", "⟦peerEmail:full⟧", "⟦peerEmail:zw⟧", "⟦peerEmail:case⟧", "⟦peerEmail:space⟧", "⟦peerEmail:nul⟧"];

    private const string Base64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private const string Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Any string at all, weighted towards the ones that break things.</summary>
    public static readonly Gen<string> AnyString = Gen.Frequency(
        (6, Gen.OneOf(NastyStrings)),
        (2, Gen.String[0, 40]),
        (1, Gen.Char['\u0000', '\u001F'].Array[1, 8].Select(c => new string(c))),
        (1, Chars(Alphanumeric + "'\"\\%_;-*/<>{}[]@. ", 1, 60)));

    /// <summary>A huge string (up to 1e6 characters): most are over the 64 KB body limit, some just under it.</summary>
    public static readonly Gen<string> HugeString = Gen.Frequency(
        (2, Gen.Int[60_000, 65_000]),
        (3, Gen.Int[100_000, 1_000_000])).SelectMany(n => Gen.OneOf("x", "é", "\u0000", "😀").Select(c => string.Concat(Enumerable.Repeat(c, n / c.Length))));

    /// <summary>Every request the test sends, for the given operations.</summary>
    public static Gen<FuzzCase> Case(IReadOnlyList<ApiOperation> operations) =>
        from index in Gen.Int[0, operations.Count - 1]
        let operation = operations[index]
        from method in Gen.Frequency((14, Gen.Const(operation.Method)), (1, Gen.OneOf(OtherMethods)))
        from path in Sequence(operation.PathParameters.Select(PathValue))
        from query in Sequence(operation.Query.Select(QueryValue)).Select(q => q.Where(v => v.Value is not null).Select(v => (v.Name, v.Value!)).ToArray())
        from extraQuery in Gen.Frequency((9, Gen.Const(Array.Empty<(string, UrlValue)>())), (1, Gen.Select(AnyString, AnyString, (n, v) => new[] { (n, new UrlValue(v)) })))
        from auth in Gen.Frequency((50, Gen.Const(AuthKind.Valid)), (50, Gen.Enum<AuthKind>().Where(a => a != AuthKind.Valid)))
        from noise in auth switch
        {
            AuthKind.WrongSecret => Chars(Base64Url, 43, 43),
            AuthKind.Garbage => AnyString,
            _ => Gen.Const(""),
        }
        from body in operation.Body is { } properties ? Body(operation, properties) : BodylessBody
        from contentType in body is null ? Gen.Const((string?)null) : ContentType
        select new FuzzCase(operation, method, path, [.. query, .. extraQuery], auth, noise, body, contentType);

    private static Gen<UrlValue> PathValue(string parameter) => parameter switch
    {
        "workspaceId" => Gen.Frequency(
            (70, Gen.Const(new UrlValue("⟦ws⟧"))),
            (5, Gen.Const(new UrlValue("⟦otherWs⟧"))),
            (12, Gen.OneOf(WorkspaceLookalikes).Select(v => new UrlValue(v))),
            (8, Gen.OneOf(NastySegments).Select(v => new UrlValue(v, Verbatim: true))),
            (5, AnyString.Where(s => s.Length > 0).Select(v => new UrlValue(v)))),
        "userId" => Gen.Frequency(
            (35, Gen.Const(new UrlValue("⟦user⟧"))),
            (35, Gen.Const(new UrlValue("⟦peer⟧"))),
            (10, Gen.Guid.Select(g => new UrlValue(g.ToString()))),
            (20, Gen.OneOf(NastySegments).Select(v => new UrlValue(v, Verbatim: true)))),
        "contactId" => Gen.Frequency(
            (65, Gen.Const(new UrlValue("⟦contact⟧"))),
            (15, Gen.Guid.Select(g => new UrlValue(g.ToString()))),
            (20, Gen.OneOf(NastySegments).Select(v => new UrlValue(v, Verbatim: true)))),
        _ => Gen.Frequency(
            (1, AnyString.Where(s => s.Length > 0).Select(v => new UrlValue(v))),
            (1, Gen.OneOf(NastySegments).Select(v => new UrlValue(v, Verbatim: true)))),
    };

    private static Gen<(string Name, UrlValue? Value)> QueryValue(string name) =>
        Gen.Frequency<UrlValue?>(
            (4, Gen.Const((UrlValue?)null)),
            (3, (name switch
            {
                "limit" => Gen.Frequency(
                    (3, Gen.Int[-5, 120].Select(i => i.ToString(CultureInfo.InvariantCulture))),
                    (2, Gen.OneOf("0", "1", "100", "101", "2147483647", "2147483648", "-2147483649", "99999999999999999999", "1.5", "1e3", "0x10", " 5", "5 ", "５", "abc", "", "null"))),
                "after" => Gen.Frequency(
                    (2, AnyString),
                    (2, ForgedCursor),
                    (1, Chars(Base64Url, 1, 2_000))),
                _ => AnyString,
            }).Select(v => (UrlValue?)new UrlValue(v))),
            (1, Gen.OneOf(NastySegments).Select(v => (UrlValue?)new UrlValue(v, Verbatim: true))))
        .Select(v => (name, (UrlValue?)v));

    /// <summary>A cursor the API did not issue: base64url JSON of the right shape with nasty values.</summary>
    private static readonly Gen<string> ForgedCursor =
        from email in AnyString
        from first in AnyString
        from last in Gen.Frequency((1, Gen.Const((string?)null)), (3, AnyString.Select(s => (string?)s)))
        from id in Gen.Guid
        from shape in Gen.Int[0, 3]
        let json = shape switch
        {
            0 => $"{{\"Email\":{JsonString(email)}}}",
            1 => $"{{\"LastName\":{(last is null ? "null" : JsonString(last))},\"FirstName\":{JsonString(first)},\"Id\":\"{id}\"}}",
            2 => $"{{\"LastName\":{JsonString(first)},\"FirstName\":null,\"Id\":{JsonString(email)}}}",
            _ => $"{{\"Email\":{JsonString(email)},\"FirstName\":{JsonString(first)},\"Id\":\"{id}\",\"Extra\":[1,2]}}",
        }
        select System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static readonly Gen<Payload?> BodylessBody = Gen.Frequency(
        (85, Gen.Const((Payload?)null)),
        (10, Gen.OneOf(StructuralBodies).Select(b => (Payload?)Payload.Json(b))),
        (5, Gen.OneOf(RawBodies).Select(b => (Payload?)Payload.Raw(b))));

    private static readonly Gen<string?> ContentType = Gen.Frequency(
        (75, Gen.Const((string?)"application/json")),
        (5, Gen.Const((string?)null)),
        (20, Gen.OneOf(ContentTypes).Select(c => (string?)c)));

    private static Gen<Payload?> Body(ApiOperation operation, IReadOnlyList<BodyProperty> properties) => Gen.Frequency(
        (10, Sequence(properties.Select(p => ValidValue(operation, p).Select(v => (p.Name, (string?)v)))).Select(JsonObject)),
        (58, MutatedObject(operation, properties)),
        (12, Gen.OneOf(StructuralBodies).Select(Payload.Json)),
        (7, RawBody(operation, properties)),
        (5, Oversized(operation, properties)),
        (4, Gen.Const((Payload?)null)),
        (4, Gen.Const((Payload?)Payload.Json(""))));

    /// <summary>Each field valid, missing, nasty or of the wrong JSON type; sometimes extra and duplicate fields.</summary>
    private static Gen<Payload?> MutatedObject(ApiOperation operation, IReadOnlyList<BodyProperty> properties) =>
        from fields in Sequence(properties.Select(p => Gen.Frequency(
            (50, ValidValue(operation, p).Select(v => (string?)v)),
            (10, Gen.Const((string?)null)),
            (25, AnyString.Select(s => (string?)JsonString(s))),
            (10, Gen.OneOf(WrongTypes).Select(s => (string?)s)),
            (5, Gen.OneOf(EmailLookalikes.Concat(WorkspaceLookalikes).ToArray()).Select(s => (string?)JsonString(s))))
            .Select(v => (p.Name, v))))
        from extra in Gen.Frequency(
            (7, Gen.Const(Array.Empty<(string, string?)>())),
            (1, Gen.Select(AnyString, AnyString, (n, v) => new[] { (n, (string?)JsonString(v)) })),
            (1, Gen.OneOf("__proto__", "$type", "constructor", "id", "role", "workspaceId", "createdBy", "passwordHash", "Email", "EMAIL", "isAdmin")
                .Select(n => new[] { (n, (string?)"\"owner\"") })),
            (1, Gen.Int[0, Math.Max(0, properties.Count - 1)].Select(i => properties.Count == 0
                ? Array.Empty<(string, string?)>()
                : [(properties[i].Name, (string?)JsonString("duplicate"))])))
        select JsonObject([.. fields, .. extra]);

    /// <summary>Bytes that are not valid UTF-8 (or JSON) where a string should be.</summary>
    private static Gen<Payload?> RawBody(ApiOperation operation, IReadOnlyList<BodyProperty> properties) =>
        from raw in Gen.OneOf(RawBodies)
        from index in Gen.Int[0, Math.Max(0, properties.Count - 1)]
        from wrap in Gen.Int[0, 2]
        select (Payload?)Payload.Raw(wrap switch
        {
            // Inside a field's string value, the rest of the object valid.
            0 when properties.Count > 0 => [.. Encoding.UTF8.GetBytes($"{{\"{properties[index].Name}\":\"a"), .. raw, .. Encoding.UTF8.GetBytes("b\"}")],
            // A literal control character inside a string (JSON requires it escaped).
            1 when properties.Count > 0 => Encoding.UTF8.GetBytes($"{{\"{properties[index].Name}\":\"a\u0001\u0000b\"}}"),
            _ => raw,
        });

    private static Gen<Payload?> Oversized(ApiOperation operation, IReadOnlyList<BodyProperty> properties) =>
        from huge in HugeString
        from index in Gen.Int[0, Math.Max(0, properties.Count - 1)]
        select (Payload?)Payload.Json(properties.Count == 0
            ? JsonString(huge)
            : $"{{\"{properties[index].Name}\":{JsonString(huge)}}}");

    /// <summary>A value that passes validation, so requests get past it to the handler and the database.</summary>
    private static Gen<string> ValidValue(ApiOperation operation, BodyProperty property) =>
        (operation.Template, property.Name) switch
        {
            ("/api/auth/register", "email") => Chars(Alphanumeric, 16, 16).Select(s => JsonString($"fuzz-{s}@example.com")),
            (_, "email") when operation.Template.EndsWith("/contacts", StringComparison.Ordinal) || operation.Template.Contains("{contactId}", StringComparison.Ordinal)
                => Gen.OneOf("\"ada@example.com\"", "\"\"", "null"),
            (_, "email") => Gen.Const("\"⟦peerEmail⟧\""),
            ("/api/auth/login", "password") => Gen.OneOf("\"⟦peerPassword⟧\"", "\"wrong password\""),
            (_, "password") => Gen.Const("\"correct horse battery\""),
            (_, "role") => Gen.OneOf("\"member\"", "\"admin\"", "\"owner\""),
            (_, "workspaceId") => Gen.OneOf("\"⟦ws⟧\"", "\"⟦otherWs⟧\"", "null"),
            ("/api/workspaces", "id") => Gen.Frequency((1, Gen.Const("null")), (1, Chars(Alphanumeric, 10, 20).Select(JsonString))),
            (_, "phone") => Gen.Const("\"+1 555 0100\""),
            (_, "notes" or "description") => Gen.OneOf("\"Some notes\nover two lines\"", "\"\"", "null"),
            _ when property.Type is "integer" or "number" => Gen.Int[1, 100].Select(i => i.ToString(CultureInfo.InvariantCulture)),
            _ when property.Type == "boolean" => Gen.OneOf("true", "false"),
            _ => Gen.OneOf("\"Fuzz Name\"", "\"Ada Lovelace\"", "\"Zoë O'Brien\""),
        };

    /// <summary>A JSON string literal: quotes, backslashes, control characters and every surrogate escaped.</summary>
    public static string JsonString(string value)
    {
        var json = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => json.Append("\\\""),
                '\\' => json.Append("\\\\"),
                _ when c < ' ' || c == '\u007F' || char.IsSurrogate(c) => json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => json.Append(c),
            };
        }

        return json.Append('"').ToString();
    }

    private static Payload? JsonObject(IEnumerable<(string Name, string? Value)> fields) =>
        Payload.Json("{" + string.Join(",", fields.Where(f => f.Value is not null).Select(f => $"{JsonString(f.Name)}:{f.Value}")) + "}");

    private static Gen<string> Chars(string alphabet, int min, int max) =>
        Gen.Char[alphabet].Array[min, max].Select(chars => new string(chars));

    private static Gen<T[]> Sequence<T>(IEnumerable<Gen<T>> gens) =>
        gens.Aggregate(Gen.Const(Array.Empty<T>()), (all, next) => all.SelectMany(values => next.Select(value => (T[])[.. values, value])));
}
