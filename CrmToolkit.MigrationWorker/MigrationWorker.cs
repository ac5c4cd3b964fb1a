using System.Diagnostics;
using CrmToolkit.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace CrmToolkit.MigrationWorker;

/// <summary>
/// Applies pending EF Core migrations, then stops the host: exit code 0 on success, 1 on failure, so that
/// the AppHost's <c>WaitForCompletion</c> starts the API only on a migrated database. Published, it stays idle after a
/// success instead (<see cref="MigrationOptions.IdleAfterSuccess"/>).
/// </summary>
internal sealed partial class MigrationWorker(
    IDbContextFactory<CrmDbContext> contextFactory,
    IOptions<ApplicationRoleOptions> appRole,
    IOptions<MigrationOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<MigrationWorker> logger) : BackgroundService
{
    public static readonly ActivitySource ActivitySource = new("CrmToolkit.MigrationWorker");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var activity = ActivitySource.StartActivity("Migrating database", ActivityKind.Client);
        var succeeded = false;
        try
        {
            await using var db = await contextFactory.CreateDbContextAsync(stoppingToken);
            var applied = await DatabaseMigrator.MigrateAsync(db, appRole.Value, stoppingToken);
            activity?.SetTag("crm.migrations.applied", applied.Count);
            LogMigrated(applied.Count, applied.Count == 0 ? "none" : string.Join(", ", applied));
            if (appRole.Value.Password is not { Length: > 0 })
            {
                LogRoleWithoutPassword(appRole.Value.Name);
            }

            succeeded = true;
        }
        catch (Exception ex)
        {
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error);
            // One line with the cause, no stack trace: an operator reads it in the dashboard or a pipeline's log.
            LogFailed(Describe(ex));
            Environment.ExitCode = 1;
        }

        if (succeeded && options.Value.IdleAfterSuccess)
        {
            LogIdling();
            return; // the host runs on until it is stopped
        }

        lifetime.StopApplication();
    }

    [LoggerMessage(LogLevel.Information, "Database is up to date; applied {Count} migration(s): {Migrations}")]
    private partial void LogMigrated(int count, string migrations);

    // "Failed to connect to 127.0.0.1:5432: Connection refused": each cause once, outermost first, without the
    // retry strategy's own wrapper.
    private static string Describe(Exception exception)
    {
        var messages = new List<string>();
        for (var e = exception is RetryLimitExceededException { InnerException: { } last } ? last : exception; e is not null; e = e.InnerException)
        {
            var message = e.Message.TrimEnd('.');
            if (!messages.Contains(message))
            {
                messages.Add(message);
            }
        }

        return string.Join(": ", messages);
    }

    [LoggerMessage(LogLevel.Information, "Migrations:IdleAfterSuccess is set: idle until stopped (the platform would restart a worker that exits)")]
    private partial void LogIdling();

    [LoggerMessage(LogLevel.Warning, "The application role '{Role}' got no password here (neither ConnectionStrings:crmapp nor Crm:AppRole:Password is set): it was created without LOGIN, or left as it was. Give it one: ALTER ROLE {Role} WITH LOGIN PASSWORD '...'")]
    private partial void LogRoleWithoutPassword(string role);

    [LoggerMessage(LogLevel.Critical, "Database migration failed: {Reason}")]
    private partial void LogFailed(string reason);
}
