using CrmToolkit.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace CrmToolkit.MigrationWorker;

/// <summary>
/// Brings a database to the latest migration. Safe to run again (a no-op) and safe to run from several
/// processes at once: the database is created race-free, and migrations run under a PostgreSQL advisory
/// lock so that exactly one process applies them while the others wait and then find nothing to do.
/// It connects as the database owner; the API connects as the application role it provisions.
/// </summary>
internal static class DatabaseMigrator
{
    // Any constant that no other code in the database uses as an advisory lock key.
    private const long MigrationLockKey = 0x43524d_4d494752; // "CRM" "MIGR"

    /// <summary>
    /// Applies pending migrations, then provisions the application role (when <paramref name="appRole"/> is
    /// given), and returns the ids of the migrations this call applied.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(CrmDbContext db, ApplicationRoleOptions? appRole, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            await EnsureDatabaseExistsAsync(db, ct);

            await db.Database.OpenConnectionAsync(ct);
            try
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationLockKey})", ct);
                await EnsureHistoryIsKnownAsync(db, ct);
                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
                if (pending.Count > 0)
                {
                    await db.Database.MigrateAsync(ct);
                }

                if (appRole is not null)
                {
                    await ApplicationRole.EnsureAsync(db, appRole, ct);
                }

                return (IReadOnlyList<string>)pending;
            }
            finally
            {
                // Closing the connection also releases the session-level lock; unlocking first keeps the
                // pooled physical connection clean.
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
                await db.Database.CloseConnectionAsync();
            }
        }, cancellationToken);
    }

    // A database whose history names migrations this version does not have (a local database from a development
    // build, or one migrated by a newer version): EF would apply InitialCreate on top of that schema and fail
    // half-way. Refuse before applying anything.
    private static async Task EnsureHistoryIsKnownAsync(CrmDbContext db, CancellationToken cancellationToken)
    {
        var known = db.Database.GetMigrations().ToHashSet(StringComparer.Ordinal);
        var unknown = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Where(id => !known.Contains(id)).ToList();
        if (unknown.Count > 0)
        {
            throw new UnknownMigrationHistoryException(db.Database.GetDbConnection().Database, unknown);
        }
    }

    private static async Task EnsureDatabaseExistsAsync(CrmDbContext db, CancellationToken cancellationToken)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (await creator.ExistsAsync(cancellationToken))
        {
            return;
        }

        try
        {
            await creator.CreateAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another worker created it between our check and our CREATE DATABASE: that is the goal.
        }
    }
}
