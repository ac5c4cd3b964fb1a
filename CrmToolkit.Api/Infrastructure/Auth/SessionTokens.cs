using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CrmToolkit.Data;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Bearer tokens of the form <c>&lt;workspaceId&gt;.&lt;secret&gt;</c>: the secret is 256 bits from a CSPRNG,
/// base64url (43 characters). The database stores only the SHA-256 of the secret (lower-case hex) as
/// <c>sessions.id</c>, next to the session's <c>workspace_id</c>; the workspace prefix lets the lookup name
/// its one workspace (one shard, once the tables are distributed by workspace). Clients treat the whole
/// token as opaque.
/// </summary>
public static class SessionTokens
{
    public const int SecretBytes = 32;
    public const int SecretLength = 43;

    public static string NewToken(WorkspaceId workspaceId) =>
        $"{workspaceId.Value}.{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes))}";

    /// <summary>Splits a token we issued into its workspace and the hash of its secret; false for anything else.</summary>
    public static bool TryParse(string token, out WorkspaceId workspaceId, out string secretHash)
    {
        workspaceId = default;
        secretHash = "";
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0 || token.Length - dot - 1 != SecretLength || !WorkspaceId.TryParse(token[..dot], out workspaceId))
        {
            return false;
        }

        var secret = token.AsSpan(dot + 1);
        if (!Base64Url.IsValid(secret, out var decodedLength) || decodedLength != SecretBytes)
        {
            return false;
        }

        secretHash = Hash(secret);
        return true;
    }

    public static string Hash(ReadOnlySpan<char> secret)
    {
        Span<byte> ascii = stackalloc byte[SecretLength];
        var written = Encoding.ASCII.GetBytes(secret, ascii);
        return Convert.ToHexStringLower(SHA256.HashData(ascii[..written]));
    }
}
