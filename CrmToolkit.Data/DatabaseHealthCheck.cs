using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace CrmToolkit.Data;

/// <summary>
/// Readiness: can the API open a connection to its database and run a statement. In place of Aspire's stock
/// Npgsql check, whose failures carry the exception, so each probe during an outage logged a full stack trace;
/// this one reports the reason in one line (the exception's type and message: no connection string, no SQL).
/// </summary>
internal sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The database is unreachable: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
