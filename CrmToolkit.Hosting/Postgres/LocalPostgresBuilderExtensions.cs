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
    /// As root, both initdb and the server run as <c>Postgres:RunAsUser</c> (they refuse root). With
    /// <c>Postgres:CitusWorkers</c> &gt; 0 that server is a Citus coordinator with that many workers beside it.
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
        if (options.CitusWorkers > 0 && !binaries.HasExtension(CitusCluster.Extension))
        {
            throw new PostgresUnavailableException(
                $"Postgres:CitusWorkers is {options.CitusWorkers}, but the PostgreSQL in {binaries.BinDirectory} has no citus extension " +
                "(no extension/citus.control in its share folder). Build and install it with scripts/install-citus.sh, or set Postgres:CitusWorkers=0.");
        }

        var serverBuilder = builder.AddServer(name, options.DataDirectory, binaries, runner, password, stopFast: options.CitusWorkers > 0);

        var database = new LocalPostgresDatabaseResource(databaseName, databaseName, serverBuilder.Resource);
        var databaseBuilder = builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                Properties = options.CitusWorkers == 0
                    ? [new("postgres.mode", "local"), new("postgres.database", databaseName)]
                    : [new("postgres.mode", "local"), new("postgres.database", databaseName), new(CitusCluster.WorkersProperty, options.CitusWorkers)],
                State = KnownResourceStates.Waiting,
            })
            .ExcludeFromManifest();

        var app = builder.AddConnectionString(CrmDatabaseBuilderExtensions.AppConnectionName, ReferenceExpression.Create(
            $"Host=127.0.0.1;Port={serverBuilder.Resource.Endpoint.Property(EndpointProperty.Port)};Username={CrmDatabaseBuilderExtensions.AppRole};Password={appPassword.Resource};Database={databaseName}"));

        if (options.CitusWorkers == 0)
        {
            builder.Eventing.Subscribe<ResourceReadyEvent>(serverBuilder.Resource, (e, _) =>
                e.Services.GetRequiredService<ResourceNotificationService>()
                    .PublishUpdateAsync(database, s => s with { State = KnownResourceStates.Running }));
            return new CrmDatabase(PostgresMode.Local, databaseBuilder, app, serverBuilder);
        }

        var cluster = builder.AddCitusWorkers(serverBuilder, database, binaries, runner, password, appPassword, options);
        return new CrmDatabase(PostgresMode.Local, databaseBuilder, app, serverBuilder, cluster);
    }

    /// <summary>
    /// One server: its own data directory, initialised on first start and unlocked with the password parameter on every
    /// start (the BeforeResourceStarted handler, the same for every node of a Citus cluster); a port the orchestrator
    /// allocates; healthy once it accepts connections.
    /// </summary>
    internal static IResourceBuilder<LocalPostgresServerResource> AddServer(
        this IDistributedApplicationBuilder builder,
        string name,
        string dataDirectory,
        LocalPostgresBinaries binaries,
        OsUser runner,
        IResourceBuilder<ParameterResource> password,
        bool stopFast = false)
    {
        var (command, prefix) = runner.Wrap(stopFast ? "/bin/sh" : binaries.Postgres);
        string[] program = stopFast ? ["-c", FastStopScript, "postgres", binaries.Postgres] : [];
        var server = new LocalPostgresServerResource(name, command, dataDirectory, password.Resource);
        var healthCheckKey = $"{name}_accepts_connections";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new AcceptsConnectionsHealthCheck(server), failureStatus: null, tags: null));

        var serverBuilder = builder.AddResource(server)
            .WithArgs([.. prefix, .. program, "-D", dataDirectory, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="])
            // postgres reads its port from PGPORT; the orchestrator allocates it.
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp", env: "PGPORT", isProxied: false)
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (e, ct) =>
        {
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            logger.LogInformation("PostgreSQL mode: local, binaries {BinDirectory}, data {DataDirectory}, running as {User}",
                binaries.BinDirectory, dataDirectory, runner.Name);
            var secret = await password.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException("The postgres-password parameter has no value.");
            await LocalPostgresStartup.PrepareAsync(e, binaries, dataDirectory, runner, secret, logger, ct);
        });

        return serverBuilder;
    }

    // The orchestrator stops a process with SIGTERM, which PostgreSQL takes as a smart shutdown: it waits until every
    // client has left. The nodes of a Citus cluster are each other's clients (each node's maintenance daemon keeps
    // connections to all of them), so each would wait for the others until the orchestrator killed them. For those, a
    // shell runs the server and turns the stop signal into SIGINT, a fast shutdown (clients disconnected, a clean
    // checkpoint, every child gone), and exits with the server's exit code.
    private const string FastStopScript = """
        "$@" & server=$!
        trap 'kill -INT "$server" 2>/dev/null' TERM INT
        code=1
        while kill -0 "$server" 2>/dev/null; do wait "$server"; code=$?; done
        exit "$code"
        """;

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
