using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Failed logins per account, counted in the database (<c>login_failures</c>), so that the limit holds across
/// every API instance: N replicas must not mean N times the guesses. Each attempt is recorded <em>before</em>
/// the password is checked and counted with every attempt committed before it, so parallel guesses cannot
/// slip past the limit either: the attempt that commits (limit + 1)th sees at least limit + 1 rows. A
/// successful login removes its own row; a failed one stays for the window. The key is the database's
/// <c>crm_login_failure_key</c>: the email compared as every lookup compares it (PostgreSQL's <c>lower</c>), hashed, so
/// the table keeps no typed login in clear.
/// </summary>
public sealed class FailedLoginThrottle(IOptions<AuthRateLimitOptions> options, TimeProvider time)
{
    /// <summary>Records the attempt; returns its id, or how long to wait when the account is over its limit.</summary>
    public async Task<(long AttemptId, TimeSpan? BlockedFor)> BeginAsync(CrmDbContext db, string email, CancellationToken cancellationToken)
    {
        var key = await db.Database.SqlQuery<string>($"SELECT crm_login_failure_key({email}) AS \"Value\"").SingleAsync(cancellationToken);
        var now = time.GetUtcNow();
        var attempt = new LoginFailure { AccountKey = key, FailedAt = now };
        db.LoginFailures.Add(attempt);
        await db.SaveChangesAsync(cancellationToken);

        var limit = options.Value.FailedLoginsPerAccount;
        var since = now - options.Value.AccountWindow;
        var recent = await db.LoginFailures
            .Where(f => f.AccountKey == key && f.FailedAt > since)
            .OrderByDescending(f => f.FailedAt)
            .Select(f => f.FailedAt)
            .Take(limit + 1)
            .ToListAsync(cancellationToken);
        if (recent.Count <= limit)
        {
            return (attempt.Id, null);
        }

        await ForgetAsync(db, attempt.Id, cancellationToken); // a refused attempt is not a guess
        // recent[0] is this attempt; the next one is let through once recent[limit], the oldest of the last `limit`
        // failures, has left the window.
        return (attempt.Id, recent[limit] + options.Value.AccountWindow - now);
    }

    /// <summary>The attempt was not a failure (the password was right, or it was refused or never checked): forget it.</summary>
    public Task ForgetAsync(CrmDbContext db, long attemptId, CancellationToken cancellationToken) =>
        db.LoginFailures.Where(f => f.Id == attemptId).ExecuteDeleteAsync(cancellationToken);

    /// <summary>For the purge job: forgets failures older than the window.</summary>
    public Task<int> ForgetExpiredAsync(CrmDbContext db, CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - options.Value.AccountWindow;
        return db.LoginFailures.Where(f => f.FailedAt <= before).ExecuteDeleteAsync(cancellationToken);
    }
}
