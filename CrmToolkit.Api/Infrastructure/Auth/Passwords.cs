using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (v3: PBKDF2-HMAC-SHA512) at OWASP's current iteration
/// count for it, run on the <see cref="PasswordHashingQueue"/>. Hashes made with fewer iterations verify as "rehash
/// needed" and are upgraded at the next successful login.
/// </summary>
public sealed class Passwords
{
    /// <summary>OWASP Password Storage Cheat Sheet: PBKDF2-HMAC-SHA512, 210 000 iterations.</summary>
    public const int Iterations = 210_000;

    public const int MinLength = 8;
    public const int MaxLength = 128;

    private static readonly User Nobody = new() { Email = "", Name = "", PasswordHash = "" };

    private readonly PasswordHasher<User> _hasher;
    private readonly string _dummyHash;
    private readonly PasswordHashingQueue _queue;

    public Passwords(IOptions<PasswordHasherOptions> options, PasswordHashingQueue queue)
    {
        _hasher = new PasswordHasher<User>(options);
        _queue = queue;
        // Computed up front, so that the first unknown-email login is not faster than the others.
        _dummyHash = _hasher.HashPassword(Nobody, Guid.NewGuid().ToString());
    }

    /// <summary>
    /// Refuses a registration or login before it does any other work when the hashing queue is full: in a storm, a
    /// refusal must cost next to nothing (no database work, no connection held).
    /// </summary>
    public void ThrowIfBusy(string clientAddress) => _queue.ThrowIfFull(clientAddress);

    /// <summary>Hashes <paramref name="password"/>, in <paramref name="clientAddress"/>'s turn (see <see cref="PasswordHashingQueue"/>).</summary>
    public Task<string> HashAsync(string password, string clientAddress, CancellationToken cancellationToken) =>
        _queue.RunAsync(clientAddress, () => _hasher.HashPassword(Nobody, password), cancellationToken);

    /// <summary>
    /// Verifies <paramref name="password"/> against <paramref name="hash"/>; for an email with no account
    /// (<c>null</c>), against a dummy hash, so that it takes as long and fails the same way. A hash that is not an
    /// Identity hash (another tool's, or garbage) verifies as a plain failure, never a 500.
    /// </summary>
    public Task<PasswordVerificationResult> VerifyAsync(string? hash, string password, string clientAddress, CancellationToken cancellationToken) =>
        _queue.RunAsync(clientAddress, () =>
        {
            try
            {
                var result = _hasher.VerifyHashedPassword(Nobody, hash ?? _dummyHash, password);
                return hash is null ? PasswordVerificationResult.Failed : result;
            }
            catch (FormatException)
            {
                return PasswordVerificationResult.Failed;
            }
        }, cancellationToken);
}
