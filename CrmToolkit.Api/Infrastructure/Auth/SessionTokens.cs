using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Bearer tokens: 256 bits from a CSPRNG, base64url (43 characters). The database stores only the
/// SHA-256 of a token (lower-case hex, 64 characters) as <c>sessions.id</c>.
/// </summary>
public static class SessionTokens
{
    public const int TokenBytes = 32;
    public const int TokenLength = 43;

    public static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(TokenBytes));

    /// <summary>True for strings shaped like a token we issue; anything else is refused without hashing it.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> token) =>
        token.Length == TokenLength && Base64Url.IsValid(token, out var decodedLength) && decodedLength == TokenBytes;

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}
