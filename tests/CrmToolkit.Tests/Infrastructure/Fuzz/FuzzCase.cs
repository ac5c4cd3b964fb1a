using System.Text;

namespace CrmToolkit.Tests.Infrastructure.Fuzz;

/// <summary>How a request authenticates (or fails to): half of the generated requests carry a valid token.</summary>
public enum AuthKind
{
    Valid,
    LowerCaseScheme,
    None,
    Empty,
    SchemeOnly,
    TokenWithoutScheme,
    WrongScheme,
    WrongSecret,
    ForeignWorkspacePrefix,
    LookalikeWorkspacePrefix,
    Truncated,
    Padded,
    TwoTokens,
    Oversized,
    NonAscii,
    InvalidUtf8,
    Garbage,
}

/// <summary>A path or query value; placeholders such as <c>⟦ws⟧</c> are filled from the target at send time.</summary>
/// <param name="Value">The value, placeholders included.</param>
/// <param name="Verbatim">Put on the wire as is (path tricks like <c>%00</c>, <c>..</c>); otherwise percent-encoded.</param>
public sealed record UrlValue(string Value, bool Verbatim = false)
{
    public override string ToString() => Verbatim ? $"raw:{Value}" : Value;
}

/// <summary>A request body: JSON text with placeholders, or raw bytes sent as they are.</summary>
public sealed record Payload(string? Text, byte[]? Bytes)
{
    public static Payload Json(string text) => new(text, null);

    public static Payload Raw(byte[] bytes) => new(null, bytes);

    public override string ToString() =>
        Text is { } text ? Shorten(text) : $"bytes[{Bytes!.Length}]: {Shorten(Encoding.Latin1.GetString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 300))))}";

    internal static string Shorten(string s) => s.Length <= 300 ? s : $"{s[..300]}... ({s.Length} chars)";
}

/// <summary>One generated request, as data (printable, reproducible from the seed).</summary>
public sealed record FuzzCase(
    ApiOperation Operation,
    string Method,
    IReadOnlyList<UrlValue> Path,
    IReadOnlyList<(string Name, UrlValue Value)> Query,
    AuthKind Auth,
    string AuthNoise,
    Payload? Body,
    string? ContentType)
{
    public override string ToString() =>
        $"{Method} {Operation.Template} path=[{string.Join(", ", Path)}] query=[{string.Join("&", Query.Select(q => $"{q.Name}={Payload.Shorten(q.Value.ToString())}"))}] "
        + $"auth={Auth}{(AuthNoise.Length > 0 ? $"({Payload.Shorten(AuthNoise)})" : "")} content-type={ContentType ?? "(none)"} body={Body?.ToString() ?? "(none)"}";
}
