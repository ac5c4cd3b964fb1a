using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CrmToolkit.Data;

/// <summary>
/// Readiness: can a context open a connection and run a statement, now. The statement goes on the connection itself,
/// outside the retry strategy, so a probe during an outage answers at once; a failure is one line (the cause's type and
/// message), with no exception attached, so that no probe logs a stack trace.
/// It also fails while <see cref="CrmDataOptions.Citus"/> disagrees with the database: on Citus without it, every
/// workspace table would read as empty.
/// </summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<CrmDbContext> contexts, IOptions<CrmDataOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var connection = db.Database.GetDbConnection();
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')";
            var citus = await command.ExecuteScalarAsync(cancellationToken) is true;
            if (citus != options.Value.Citus)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, citus
                    ? "The database runs Citus: set Crm:Data:Citus to true."
                    : "Crm:Data:Citus is true, but the database has no citus extension.");
            }

            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            var cause = ex.GetBaseException();
            return new HealthCheckResult(context.Registration.FailureStatus, $"The database is unreachable: {cause.GetType().Name}: {cause.Message}");
        }
    }
}
