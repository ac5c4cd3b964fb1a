using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.AspNetCore.Idempotency;
using CrmToolkit.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrmToolkit.Api.Infrastructure;

/// <summary>
/// Deletes expired sessions and idempotency keys past their 24 hours in small batches (row locks only, never a table
/// lock), and failed logins, email tokens and password-reset requests that no longer count; at most one instance at a time across every API replica: each run holds a PostgreSQL advisory lock, and skips when another has it.
/// </summary>
public sealed partial class SessionPurgeService(
    IDbContextFactory<CrmDbContext> pool,
    IOptions<SessionLifetimeOptions> options,
    TimeProvider time,
    CrmTelemetry telemetry,
    FailedLoginThrottle failedLogins,
    ILogger<SessionPurgeService> logger) : BackgroundService
{
    private const long PurgeLockKey = 0x43524d_50555247; // "CRM" "PURG"

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PurgeInterval, time);
        do
        {
            try
            {
                var purged = await PurgeOnceAsync(stoppingToken);
                if (purged is > 0)
                {
                    LogPurged(purged.Value);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or RetryLimitExceededException or TimeoutException)
            {
                // The database is away (a restart, an outage): one line per interval, not a stack trace.
                var cause = ex.GetBaseException();
                LogDatabaseUnavailable(cause.GetType().Name, cause.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One purge run: the number of sessions deleted, or <c>null</c> when another instance was purging.</summary>
    private async Task<long?> PurgeOnceAsync(CancellationToken cancellationToken)
    {
        await using var db = await pool.CreateDbContextAsync(cancellationToken);
        // The advisory lock belongs to the connection: keep one open for the whole run, and close it
        // explicitly, since a context returned to the pool keeps a connection it was told to open.
        await db.Database.OpenConnectionAsync(cancellationToken);
        var locked = false;
        try
        {
            locked = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({PurgeLockKey}) AS \"Value\"").SingleAsync(cancellationToken);
            if (!locked)
            {
                return null;
            }

            var batch = options.Value.PurgeBatchSize;
            var total = await InBatchesAsync(batch, () => CrossWorkspace.PurgeExpiredSessionsAsync(db, batch, cancellationToken));
            telemetry.SessionsPurged(total);

            await failedLogins.ForgetExpiredAsync(db, cancellationToken);
            // Spent proof-of-email tokens, and reset requests past the hour their allowances count.
            var now = time.GetUtcNow();
            await db.EmailTokens.Where(t => t.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
            await db.PasswordResetRequests.Where(r => r.RequestedAt < now - TimeSpan.FromHours(1)).ExecuteDeleteAsync(cancellationToken);
            await InBatchesAsync(batch, () => CrossWorkspace.PurgeIdempotencyKeysAsync(db, now - IdempotencyFilter.Lifetime, batch, cancellationToken));
            return total;
        }
        finally
        {
            try
            {
                if (locked)
                {
                    await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({PurgeLockKey})", CancellationToken.None);
                }
            }
            finally
            {
                await db.Database.CloseConnectionAsync(); // also releases the lock if the unlock failed
            }
        }
    }

    // Runs a purge of at most batchSize rows until one deletes fewer: row locks only, never a long transaction.
    private static async Task<long> InBatchesAsync(int batchSize, Func<Task<int>> purge)
    {
        long total = 0;
        int deleted;
        do
        {
            deleted = await purge();
            total += deleted;
        }
        while (deleted == batchSize);

        return total;
    }

    [LoggerMessage(LogLevel.Information, "Purged {Count} expired sessions")]
    private partial void LogPurged(long count);

    [LoggerMessage(LogLevel.Warning, "Purging expired sessions failed, the database is unavailable ({CauseType}: {Cause}); will retry at the next interval")]
    private partial void LogDatabaseUnavailable(string causeType, string cause);

    [LoggerMessage(LogLevel.Warning, "Purging expired sessions failed; will retry at the next interval")]
    private partial void LogFailed(Exception exception);
}
