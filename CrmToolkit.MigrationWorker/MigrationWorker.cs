using System.Diagnostics;
using CrmToolkit.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.MigrationWorker;

/// <summary>
/// Applies pending EF Core migrations, then stops the host: exit code 0 on success, 1 on failure, so that
/// the AppHost's <c>WaitForCompletion</c> starts the API only on a migrated database.
/// </summary>
internal sealed partial class MigrationWorker(
    IDbContextFactory<CrmDbContext> contextFactory,
    IOptions<ApplicationRoleSettings> appRole,
    IHostApplicationLifetime lifetime,
    ILogger<MigrationWorker> logger) : BackgroundService
{
    public static readonly ActivitySource ActivitySource = new("CrmToolkit.MigrationWorker");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var activity = ActivitySource.StartActivity("Migrating database", ActivityKind.Client);
        try
        {
            await using var db = await contextFactory.CreateDbContextAsync(stoppingToken);
            var applied = await DatabaseMigrator.MigrateAsync(db, appRole.Value, stoppingToken);
            activity?.SetTag("crm.migrations.applied", applied.Count);
            LogMigrated(applied.Count, applied.Count == 0 ? "none" : string.Join(", ", applied));
        }
        catch (Exception ex)
        {
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error);
            LogFailed(ex, ex.Message);
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }

    [LoggerMessage(LogLevel.Information, "Database is up to date; applied {Count} migration(s): {Migrations}")]
    private partial void LogMigrated(int count, string migrations);

    [LoggerMessage(LogLevel.Critical, "Database migration failed: {Reason}")]
    private partial void LogFailed(Exception exception, string reason);
}
