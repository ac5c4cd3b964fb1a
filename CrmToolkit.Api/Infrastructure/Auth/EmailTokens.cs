using System.Buffers.Text;
using System.Security.Cryptography;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// The tokens mailed to prove an address: 256 bits from a CSPRNG, base64url (43 characters), like a session's secret;
/// the database keeps only their SHA-256 (hex).
/// </summary>
public static class EmailTokens
{
    /// <summary>A new token for <paramref name="purpose"/>: the plain token for the mail, and the row that stores its hash.</summary>
    public static (string Token, EmailToken Row) New(Guid userId, string email, EmailTokenPurpose purpose, DateTimeOffset now, TimeSpan lifetime)
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SessionTokens.SecretBytes));
        var row = new EmailToken
        {
            Id = SessionTokens.Hash(token),
            UserId = userId,
            Purpose = purpose,
            Email = email,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        };
        return (token, row);
    }

    /// <summary>The hash of a token of our shape; false for anything else (then no token of ours can match it).</summary>
    public static bool TryHash(string? token, out string hash)
    {
        hash = "";
        if (token is not { Length: SessionTokens.SecretLength } || !Base64Url.IsValid(token, out var length) || length != SessionTokens.SecretBytes)
        {
            return false;
        }

        hash = SessionTokens.Hash(token);
        return true;
    }
}
