using System.Threading.RateLimiting;
using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (v3: PBKDF2-HMAC-SHA512) at OWASP's current iteration
/// count for it, behind a concurrency limiter (<see cref="PasswordHashingOptions"/>). Hashes made with fewer
/// iterations verify as "rehash needed" and are upgraded at the next successful login.
/// </summary>
public sealed class Passwords : IDisposable
{
    /// <summary>OWASP Password Storage Cheat Sheet: PBKDF2-HMAC-SHA512, 210 000 iterations.</summary>
    public const int Iterations = 210_000;

    public const int MinLength = 8;
    public const int MaxLength = 128;

    private static readonly User Nobody = new() { Email = "", Name = "", PasswordHash = "" };

    private readonly PasswordHasher<User> _hasher;
    private readonly string _dummyHash;
    private readonly ConcurrencyLimiter _hashing;

    public Passwords(IOptions<PasswordHasherOptions> options, IOptions<PasswordHashingOptions> hashing)
    {
        _hasher = new PasswordHasher<User>(options);
        // Computed up front, so that the first unknown-email login is not faster than the others.
        _dummyHash = _hasher.HashPassword(Nobody, Guid.NewGuid().ToString());
        _hashing = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = hashing.Value.MaxConcurrent,
            QueueLimit = hashing.Value.QueueLength,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    public async Task<string> HashAsync(string password, CancellationToken cancellationToken)
    {
        using var slot = await AcquireAsync(cancellationToken);
        return _hasher.HashPassword(Nobody, password);
    }

    /// <summary>
    /// Verifies <paramref name="password"/> against <paramref name="hash"/>; for an email with no account
    /// (<c>null</c>), against a dummy hash, so that it takes as long and fails the same way. A hash that is not an
    /// Identity hash (another tool's, or garbage) verifies as a plain failure, never a 500.
    /// </summary>
    public async Task<PasswordVerificationResult> VerifyAsync(string? hash, string password, CancellationToken cancellationToken)
    {
        using var slot = await AcquireAsync(cancellationToken);
        try
        {
            var result = _hasher.VerifyHashedPassword(Nobody, hash ?? _dummyHash, password);
            return hash is null ? PasswordVerificationResult.Failed : result;
        }
        catch (FormatException)
        {
            return PasswordVerificationResult.Failed;
        }
    }

    public void Dispose() => _hashing.Dispose();

    private async Task<RateLimitLease> AcquireAsync(CancellationToken cancellationToken)
    {
        var lease = await _hashing.AcquireAsync(1, cancellationToken);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        throw new PasswordHashingBusyException();
    }
}
