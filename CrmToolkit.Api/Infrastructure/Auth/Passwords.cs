using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (v3: PBKDF2-HMAC-SHA512) at OWASP's
/// current iteration count for it. Hashes made with fewer iterations verify as "rehash needed" and are
/// upgraded at the next successful login.
/// </summary>
public sealed class Passwords
{
    /// <summary>OWASP Password Storage Cheat Sheet: PBKDF2-HMAC-SHA512, 210 000 iterations.</summary>
    public const int Iterations = 210_000;

    public const int MinLength = 8;
    public const int MaxLength = 128;

    private static readonly User Nobody = new() { Email = "", Name = "", PasswordHash = "" };

    private readonly PasswordHasher<User> _hasher;
    private readonly Lazy<string> _dummyHash;

    public Passwords(IOptions<PasswordHasherOptions> options)
    {
        _hasher = new PasswordHasher<User>(options);
        _dummyHash = new Lazy<string>(() => _hasher.HashPassword(Nobody, Guid.NewGuid().ToString()));
    }

    public string Hash(string password) => _hasher.HashPassword(Nobody, password);

    /// <summary>A hash that is not an Identity hash (another tool's, or garbage) verifies as a plain failure, never a 500.</summary>
    public PasswordVerificationResult Verify(string hash, string password)
    {
        try
        {
            return _hasher.VerifyHashedPassword(Nobody, hash, password);
        }
        catch (FormatException)
        {
            return PasswordVerificationResult.Failed;
        }
    }

    /// <summary>Spends the same time as a real verification, for an email that has no account.</summary>
    public void VerifyAgainstDummy(string password) => _hasher.VerifyHashedPassword(Nobody, _dummyHash.Value, password);

    /// <summary>Computes the dummy hash up front so that the first unknown-email login is not faster.</summary>
    public void Warm() => _ = _dummyHash.Value;
}
