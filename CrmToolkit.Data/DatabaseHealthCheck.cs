using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace CrmToolkit.Data;

/// <summary>
/// Readiness: can a context open a connection and run a statement, now. Raw SQL runs outside the retry strategy,
/// so a probe during an outage answers at once; a failure is one line (the cause's type and message), with no
/// exception attached, so that no probe logs a stack trace.
/// </summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<CrmDbContext> contexts) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            var cause = ex.GetBaseException();
            return new HealthCheckResult(context.Registration.FailureStatus, $"The database is unreachable: {cause.GetType().Name}: {cause.Message}");
        }
    }
}
