using CrmToolkit.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Failed logins per account and client address, and per account across addresses, counted in the database
/// (<c>login_failures</c>) so that the limits hold across every API instance. Ten failures from one address block that
/// address for that account, while the owner still signs in from another; a much higher ceiling over all addresses
/// stops a distributed guesser. Each attempt is recorded <em>before</em> the password is checked, under a lock on the
/// account, so parallel guesses count one after another; a successful login forgets its own attempt. The table is
/// reachable only through the database functions this calls (it has row-level security and no policy), and keeps the
/// email only as <c>crm_login_failure_key</c>'s hash.
/// </summary>
public sealed class FailedLoginThrottle(IOptions<AuthRateLimitOptions> options, TimeProvider time)
{
    /// <summary>Records the attempt; returns its id, or how long this address must wait for this account.</summary>
    public async Task<(long AttemptId, TimeSpan? BlockedFor)> BeginAsync(CrmDbContext db, string email, string clientAddress, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var attempt = await db.Database.SqlQuery<LoginAttempt>($"""
            SELECT attempt_id AS "AttemptId", retry_after AS "RetryAfter"
              FROM crm_begin_login_attempt({email}, {clientAddress}, {time.GetUtcNow()}, {settings.AccountWindow},
                                           {settings.FailedLoginsPerAddress}, {settings.FailedLoginsPerAccount})
            """).SingleAsync(cancellationToken);
        return (attempt.AttemptId, attempt.RetryAfter);
    }

    /// <summary>The attempt was not a failure (the password was right, or it was refused or never checked): forget it.</summary>
    public Task ForgetAsync(CrmDbContext db, long attemptId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT crm_forget_login_attempt({attemptId})", cancellationToken);

    /// <summary>For the purge job: forgets failures older than the window.</summary>
    public Task<int> ForgetExpiredAsync(CrmDbContext db, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<int>($"SELECT crm_purge_login_failures({time.GetUtcNow() - options.Value.AccountWindow}) AS \"Value\"")
            .SingleAsync(cancellationToken);

    private sealed class LoginAttempt
    {
        public long AttemptId { get; init; }
        public TimeSpan? RetryAfter { get; init; }
    }
}
