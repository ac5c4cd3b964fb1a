using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrmToolkit.Hosting.Postgres;

internal static class LocalPostgresBuilderExtensions
{
    /// <summary>
    /// Adds a PostgreSQL server run from local binaries with a persistent data directory, and a database on
    /// it. The data directory is initialised on first start (initdb); on every start the superuser password
    /// is set to the <paramref name="password"/> parameter, so a changed parameter never locks you out.
    /// As root, both initdb and the server run as <c>Postgres:RunAsUser</c> (they refuse root).
    /// </summary>
    public static CrmDatabase AddLocalPostgres(
        this IDistributedApplicationBuilder builder,
        string name,
        string databaseName,
        IResourceBuilder<ParameterResource> password,
        IResourceBuilder<ParameterResource> appPassword,
        PostgresOptions options)
    {
        var binaries = LocalPostgresBinaries.Find(options.BinDirectory)
            ?? throw new PostgresUnavailableException(LocalPostgresBinaries.MissingMessage(options.BinDirectory));
        var runner = OsUser.ForServer(options.RunAsUser)
            ?? throw new PostgresUnavailableException(OsUser.MissingMessage(options.RunAsUser));
        var (command, prefix) = runner.Wrap(binaries.Postgres);

        var server = new LocalPostgresServerResource(name, command, options.DataDirectory, password.Resource);
        var healthCheckKey = $"{name}_accepts_connections";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new AcceptsConnectionsHealthCheck(server), failureStatus: null, tags: null));

        var serverBuilder = builder.AddResource(server)
            .WithArgs([.. prefix, "-D", options.DataDirectory, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="])
            // postgres reads its port from PGPORT; the orchestrator allocates it.
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp", env: "PGPORT", isProxied: false)
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (e, ct) =>
        {
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            logger.LogInformation("PostgreSQL mode: local, binaries {BinDirectory}, data {DataDirectory}, running as {User}",
                binaries.BinDirectory, options.DataDirectory, runner.Name);
            var secret = await password.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException("The postgres-password parameter has no value.");
            await LocalPostgresStartup.PrepareAsync(e, binaries, options.DataDirectory, runner, secret, logger, ct);
        });

        var database = new LocalPostgresDatabaseResource(databaseName, databaseName, server);
        var databaseBuilder = builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                Properties = [new("postgres.mode", "local"), new("postgres.database", databaseName)],
                State = KnownResourceStates.Waiting,
            })
            .ExcludeFromManifest();

        builder.Eventing.Subscribe<ResourceReadyEvent>(server, (e, _) =>
            e.Services.GetRequiredService<ResourceNotificationService>()
                .PublishUpdateAsync(database, s => s with { State = KnownResourceStates.Running }));

        var app = builder.AddConnectionString(CrmDatabaseBuilderExtensions.AppConnectionName, ReferenceExpression.Create(
            $"Host=127.0.0.1;Port={server.Endpoint.Property(EndpointProperty.Port)};Username={CrmDatabaseBuilderExtensions.AppRole};Password={appPassword.Resource};Database={databaseName}"));
        return new CrmDatabase(PostgresMode.Local, databaseBuilder, app, serverBuilder);
    }

    private sealed class AcceptsConnectionsHealthCheck(LocalPostgresServerResource server) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var connectionString = new NpgsqlConnectionStringBuilder(await server.ConnectionStringExpression.GetValueAsync(cancellationToken))
                {
                    Timeout = 3,
                    Pooling = false,
                };
                await using var connection = new NpgsqlConnection(connectionString.ConnectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL does not accept connections yet.", ex);
            }
        }
    }
}
