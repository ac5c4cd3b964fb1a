using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>
/// Chooses where PostgreSQL comes from and adds it to the app model. Run mode: an existing server
/// (<c>ConnectionStrings:crm</c>), else a container when a container runtime is really running, else the PostgreSQL
/// server binaries on this machine; <c>Postgres:Mode</c> forces one. Publish mode (the manifest azd deploys): a managed
/// server's two connection strings as secret parameters, or with <c>Postgres:PublishAs=container</c> a throw-away
/// container. <c>Postgres:CitusWorkers</c> &gt; 0 makes the local server a Citus coordinator with that many workers (local
/// mode only; an existing server is used as it is; a published app never has workers).
/// </summary>
public static class CrmDatabaseBuilderExtensions
{
    public const string ServerName = "postgres";
    public const string DatabaseName = "crm";
    /// <summary>
    /// The application role's connection string. No <c>-</c> in it: Aspire gives a dashed name to a project twice
    /// (<c>ConnectionStrings__a-b</c> and <c>__a_b</c>), and azd makes both one Container Apps secret, <c>connectionstrings--a-b</c>.
    /// </summary>
    public const string AppConnectionName = "crmapp";

    /// <summary>The login role the API connects as; the migration worker creates it.</summary>
    public const string AppRole = "crm_app";

    /// <summary>
    /// Adds the CRM database: the resources <c>crm</c> (the owner's connection string) and <c>crmapp</c> (the
    /// application role's), and the server they live on. Throws <see cref="PostgresUnavailableException"/> when no
    /// mode can work here or a <c>Postgres</c> setting cannot.
    /// </summary>
    public static CrmDatabase AddCrmDatabase(this IDistributedApplicationBuilder builder)
    {
        var options = PostgresOptions.From(builder.Configuration, builder.AppHostDirectory);
        if (builder.ExecutionContext.IsPublishMode)
        {
            return options.PublishAs == PostgresPublishMode.Container ? AddContainer(builder, dataVolume: null) : AddManaged(builder);
        }

        var (mode, reason) = ChooseMode(builder, options);
        var database = mode switch
        {
            PostgresMode.Existing => AddExisting(builder),
            // A volume of its own name when one is configured (the tests give theirs), else Aspire's default for this AppHost.
            PostgresMode.Container => AddContainer(builder, dataVolume: options.DataVolume ?? ""),
            PostgresMode.Local => builder.AddLocalPostgres(ServerName, DatabaseName, SuperuserPassword(builder), AppPassword(builder), options),
            _ => throw new InvalidOperationException($"Unexpected mode {mode}."),
        };

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CrmToolkit.Hosting.Postgres");
            logger.LogInformation("PostgreSQL mode: {Mode} ({Reason})", mode.ToString().ToLowerInvariant(), reason);
            if (mode == PostgresMode.Existing && options.CitusWorkers > 0)
            {
                // The server is the user's own: whether it is a Citus cluster is theirs to decide.
                logger.LogWarning("Postgres:CitusWorkers ({Workers}) does not apply to an existing server; it is used as it is", options.CitusWorkers);
            }

            return Task.CompletedTask;
        });

        return database;
    }

    /// <summary>Connects as the database owner and provisions the application role (for the migration worker).</summary>
    public static IResourceBuilder<ProjectResource> WithOwnerConnection(this IResourceBuilder<ProjectResource> builder, CrmDatabase database) =>
        builder.WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
            .WithReference(database.Database)
            .WithReference(database.AppDatabase)
            .WaitForDatabase(database);

    /// <summary>Connects as the application role, under row-level security (for the API).</summary>
    public static IResourceBuilder<ProjectResource> WithAppConnection(this IResourceBuilder<ProjectResource> builder, CrmDatabase database)
    {
        builder.WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
            .WithReference(database.AppDatabase, connectionName: DatabaseName)
            .WaitForDatabase(database);

        // On Citus the workspace travels to the workers as SET LOCAL (CrmDataOptions.Citus).
        return database.Citus is null ? builder : builder.WithEnvironment("Crm__Data__Citus", "true");
    }

    // Until the CRM database accepts connections (a no-op for an existing server).
    private static IResourceBuilder<ProjectResource> WaitForDatabase(this IResourceBuilder<ProjectResource> builder, CrmDatabase database) =>
        database.ReadyWhen is null ? builder : builder.WaitFor(database.ReadyWhen);

    // Generated on first run and kept in the AppHost's user secrets (run mode), or by azd (publish mode).
    private static IResourceBuilder<ParameterResource> SuperuserPassword(IDistributedApplicationBuilder builder) =>
        builder.AddParameter("postgres-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);

    private static IResourceBuilder<ParameterResource> AppPassword(IDistributedApplicationBuilder builder) =>
        builder.AddParameter("crm-app-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);

    private static (PostgresMode Mode, string Reason) ChooseMode(IDistributedApplicationBuilder builder, PostgresOptions options)
    {
        var hasConnectionString = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(DatabaseName));
        switch (options.Mode)
        {
            case PostgresMode.Existing when !hasConnectionString:
                throw new PostgresUnavailableException(
                    "Postgres:Mode is 'existing' but no connection string 'ConnectionStrings:crm' is configured. " +
                    "Set it with: dotnet user-secrets --project CrmToolkit.AppHost set ConnectionStrings:crm \"Host=...;Database=crm;Username=...;Password=...\"");
            // A Citus cluster of containers (the citusdata/citus image) would need the nodes registered by their network
            // aliases, the inter-node passwords put into every container and its own health and shutdown handling: code
            // that cannot be run on the machines this is built and tested on (no container engine). Rather than ship it
            // untested, container mode refuses workers, and auto mode does not pick it for them.
            case PostgresMode.Container when options.CitusWorkers > 0:
                throw new PostgresUnavailableException(CitusNeedsLocalMode(options, "but Postgres:Mode is 'container' (make it local or auto)"));
            case not PostgresMode.Auto:
                return (options.Mode, "forced by Postgres:Mode");
        }

        if (hasConnectionString)
        {
            return (PostgresMode.Existing, "ConnectionStrings:crm is configured");
        }

        if (options.CitusWorkers > 0)
        {
            return LocalPostgresBinaries.Find(options.BinDirectory) is { } citusBinaries
                ? (PostgresMode.Local, $"Postgres:CitusWorkers is {options.CitusWorkers}: a Citus cluster from the server binaries in {citusBinaries.BinDirectory}")
                : throw new PostgresUnavailableException(CitusNeedsLocalMode(options, "none were found (or set Postgres:BinDirectory)"));
        }

        if (ContainerRuntime.IsRunning(builder.Configuration, out var runtime))
        {
            return (PostgresMode.Container, $"container runtime '{runtime}' is running");
        }

        if (LocalPostgresBinaries.Find(options.BinDirectory) is { } binaries)
        {
            return (PostgresMode.Local, $"no running container runtime; server binaries in {binaries.BinDirectory}");
        }

        throw new PostgresUnavailableException(
            "CrmToolkit needs PostgreSQL and found none: no ConnectionStrings:crm, no running container runtime " +
            $"('{runtime}' is missing or not running), and no PostgreSQL server binaries (initdb, postgres, pg_ctl). " +
            "Install one of: the PostgreSQL server (Debian/Ubuntu: 'sudo apt-get install postgresql'; or set Postgres:BinDirectory), " +
            "Docker or Podman (running), or point ConnectionStrings:crm at an existing server.");
    }

    private static string CitusNeedsLocalMode(PostgresOptions options, string why) =>
        $"Postgres:CitusWorkers is {options.CitusWorkers}, which needs local mode: the PostgreSQL server binaries with the citus " +
        $"extension (scripts/install-citus.sh), {why}. Or set Postgres:CitusWorkers=0 for one plain PostgreSQL.";

    // Aspire's PostgreSQL container. Run mode keeps its data in a volume and adds pgweb; a published one (a preview
    // environment) has neither: its data is meant to go, and an Azure Files volume cannot hold a data directory.
    private static CrmDatabase AddContainer(IDistributedApplicationBuilder builder, string? dataVolume)
    {
        var server = builder.AddPostgres(ServerName, password: SuperuserPassword(builder));
        if (dataVolume is not null)
        {
            server.WithDataVolume(dataVolume.Length == 0 ? null : dataVolume).WithPgWeb();
        }

        var database = server.AddDatabase(DatabaseName);
        var endpoint = server.Resource.PrimaryEndpoint;
        var app = builder.AddConnectionString(AppConnectionName, ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={AppRole};Password={AppPassword(builder).Resource};Database={DatabaseName}"));
        return new CrmDatabase(PostgresMode.Container, database, app, database);
    }

    // The configured connection string is the owner's; the API's is the same server and database as the
    // application role.
    private static CrmDatabase AddExisting(IDistributedApplicationBuilder builder)
    {
        // Every setting of the owner's connection string (host, port, database, SSL, ...) but the credentials.
        var app = new Npgsql.NpgsqlConnectionStringBuilder(builder.Configuration.GetConnectionString(DatabaseName))
        {
            Username = AppRole,
            Password = null,
        };
        app.Database ??= DatabaseName;
        var appConnection = builder.AddConnectionString(AppConnectionName, ReferenceExpression.Create(
            $"{app.ConnectionString};Password={AppPassword(builder).Resource}"));
        return new CrmDatabase(PostgresMode.Existing, builder.AddConnectionString(DatabaseName), appConnection, null);
    }

    // A managed server (infra/postgres.bicep): azd asks for both connection strings, secret parameters without a
    // default, and gives them to the containers as secrets only.
    private static CrmDatabase AddManaged(IDistributedApplicationBuilder builder) =>
        new(PostgresMode.Existing, builder.AddConnectionString(DatabaseName), builder.AddConnectionString(AppConnectionName), null);
}
