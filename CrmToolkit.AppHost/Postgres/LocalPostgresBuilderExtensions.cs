using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrmToolkit.AppHost.Postgres;

internal static class LocalPostgresBuilderExtensions
{
    /// <summary>
    /// Adds a PostgreSQL server run from local binaries with a persistent data directory, and a database on
    /// it. The data directory is initialised on first start (initdb); on every start the superuser password
    /// is set to the <paramref name="password"/> parameter, so a changed parameter never locks you out.
    /// As root, both initdb and the server run as <see cref="PostgresOptions.RunAsUser"/> (they refuse root).
    /// </summary>
    public static CrmDatabase AddLocalPostgres(
        this IDistributedApplicationBuilder builder,
        string name,
        string databaseName,
        IResourceBuilder<ParameterResource> password,
        IResourceBuilder<ParameterResource> appPassword,
        PostgresOptions settings)
    {
        var binaries = LocalPostgresBinaries.Find(settings.BinDirectory)
            ?? throw new PostgresUnavailableException(LocalPostgresBinaries.MissingMessage(settings.BinDirectory));
        var runner = OsUser.ForServer(settings.RunAsUser)
            ?? throw new PostgresUnavailableException(OsUser.MissingMessage(settings.RunAsUser));
        var (command, prefix) = runner.Wrap(binaries.Postgres);

        var server = new LocalPostgresServerResource(name, command, settings.DataDirectory, password.Resource);
        var healthCheckKey = $"{name}_accepts_connections";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new AcceptsConnectionsHealthCheck(server), failureStatus: null, tags: null));

        var serverBuilder = builder.AddResource(server)
            .WithArgs([.. prefix, "-D", settings.DataDirectory, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="])
            // postgres reads its port from PGPORT; the orchestrator allocates it.
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp", env: "PGPORT", isProxied: false)
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (e, ct) =>
        {
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            logger.LogInformation("PostgreSQL mode: local, binaries {BinDirectory}, data {DataDirectory}, running as {User}",
                binaries.BinDirectory, settings.DataDirectory, runner.Name);
            var secret = await password.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException("The postgres-password parameter has no value.");
            await LocalPostgresDataDirectory.PrepareAsync(binaries, settings.DataDirectory, runner, secret, logger, ct);
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

        var app = builder.AddConnectionString(CrmPostgresBuilderExtensions.AppConnectionName, ReferenceExpression.Create(
            $"Host=127.0.0.1;Port={server.Endpoint.Property(EndpointProperty.Port)};Username={CrmDatabaseExtensions.AppRole};Password={appPassword.Resource};Database={databaseName}"));
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
