using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CrmToolkit.AppHost.Postgres;

/// <summary>
/// Chooses where PostgreSQL comes from and adds it to the app model:
/// an existing server (<c>ConnectionStrings:crm</c>), else a container when a container runtime is really
/// running, else the PostgreSQL server binaries on this machine. <c>Postgres:Mode</c> forces one.
/// Publishing (the azd manifest) always describes the standard PostgreSQL container resource.
/// </summary>
public static class CrmPostgresBuilderExtensions
{
    public const string ServerName = "postgres";
    public const string DatabaseName = "crm";
    public const string AppConnectionName = "crm-app";

    public static CrmDatabase AddCrmDatabase(this IDistributedApplicationBuilder builder)
    {
        var settings = PostgresSettings.From(builder.Configuration, builder.AppHostDirectory);
        var password = builder.AddParameter(
            "postgres-password",
            new GenerateParameterDefault { MinLength = 24, Special = false },
            secret: true,
            persist: true);

        var appPassword = builder.AddParameter(
            "crm-app-password",
            new GenerateParameterDefault { MinLength = 24, Special = false },
            secret: true,
            persist: true);

        var (mode, reason) = ChooseMode(builder, settings);
        var database = mode switch
        {
            PostgresMode.Existing => AddExisting(builder, appPassword),
            PostgresMode.Container => AddContainer(builder, password, appPassword),
            PostgresMode.Local => builder.AddLocalPostgres(ServerName, DatabaseName, password, appPassword, settings),
            _ => throw new InvalidOperationException($"Unexpected mode {mode}."),
        };

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CrmToolkit.AppHost.Postgres");
            logger.LogInformation("PostgreSQL mode: {Mode} ({Reason})", mode.ToString().ToLowerInvariant(), reason);
            return Task.CompletedTask;
        });

        return database;
    }

    private static (PostgresMode Mode, string Reason) ChooseMode(IDistributedApplicationBuilder builder, PostgresSettings settings)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return (PostgresMode.Container, "publish mode always describes the standard PostgreSQL resource");
        }

        var hasConnectionString = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(DatabaseName));
        switch (settings.Mode)
        {
            case PostgresMode.Existing when !hasConnectionString:
                throw new PostgresUnavailableException(
                    "Postgres:Mode is 'existing' but no connection string 'ConnectionStrings:crm' is configured. " +
                    "Set it with: dotnet user-secrets --project CrmToolkit.AppHost set ConnectionStrings:crm \"Host=...;Database=crm;Username=...;Password=...\"");
            case PostgresMode.Existing:
                return (PostgresMode.Existing, "forced by Postgres:Mode");
            case PostgresMode.Container:
                return (PostgresMode.Container, "forced by Postgres:Mode");
            case PostgresMode.Local:
                _ = LocalPostgresBinaries.Find(settings.BinDirectory) ?? throw new PostgresUnavailableException(LocalPostgresBinaries.MissingMessage(settings.BinDirectory));
                return (PostgresMode.Local, "forced by Postgres:Mode");
        }

        if (hasConnectionString)
        {
            return (PostgresMode.Existing, "ConnectionStrings:crm is configured");
        }

        if (ContainerRuntime.IsRunning(builder.Configuration, out var runtime))
        {
            return (PostgresMode.Container, $"container runtime '{runtime}' is running");
        }

        if (LocalPostgresBinaries.Find(settings.BinDirectory) is { } binaries)
        {
            return (PostgresMode.Local, $"no running container runtime; server binaries in {binaries.BinDirectory}");
        }

        throw new PostgresUnavailableException(
            "CrmToolkit needs PostgreSQL and found none: no ConnectionStrings:crm, no running container runtime " +
            $"('{runtime}' is missing or not running), and no PostgreSQL server binaries (initdb, postgres, pg_ctl). " +
            "Install one of: the PostgreSQL server (Debian/Ubuntu: 'sudo apt-get install postgresql'; or set Postgres:BinDirectory), " +
            "Docker or Podman (running), or point ConnectionStrings:crm at an existing server.");
    }

    private static CrmDatabase AddContainer(
        IDistributedApplicationBuilder builder, IResourceBuilder<ParameterResource> password, IResourceBuilder<ParameterResource> appPassword)
    {
        var server = builder.AddPostgres(ServerName, password: password)
            .WithDataVolume()
            .WithPgWeb();
        var database = server.AddDatabase(DatabaseName);
        var endpoint = server.Resource.PrimaryEndpoint;
        var app = builder.AddConnectionString(AppConnectionName, ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={CrmDatabaseExtensions.AppRole};Password={appPassword.Resource};Database={DatabaseName}"));
        return new CrmDatabase(PostgresMode.Container, database, app, database);
    }

    // The configured connection string is the owner's; the API's is the same server and database as the
    // application role.
    private static CrmDatabase AddExisting(IDistributedApplicationBuilder builder, IResourceBuilder<ParameterResource> appPassword)
    {
        // Every setting of the owner's connection string (host, port, database, SSL, ...) but the credentials.
        var app = new Npgsql.NpgsqlConnectionStringBuilder(builder.Configuration.GetConnectionString(DatabaseName))
        {
            Username = CrmDatabaseExtensions.AppRole,
            Password = null,
        };
        app.Database ??= DatabaseName;
        var appConnection = builder.AddConnectionString(AppConnectionName, ReferenceExpression.Create(
            $"{app.ConnectionString};Password={appPassword.Resource}"));
        return new CrmDatabase(PostgresMode.Existing, builder.AddConnectionString(DatabaseName), appConnection, null);
    }
}

/// <summary>The <c>Postgres</c> configuration section of the AppHost.</summary>
public sealed record PostgresSettings(PostgresMode Mode, string? BinDirectory, string DataDirectory, string RunAsUser)
{
    public static PostgresSettings From(IConfiguration configuration, string appHostDirectory)
    {
        var section = configuration.GetSection("Postgres");
        var modeText = section["Mode"];
        var mode = PostgresMode.Auto;
        if (!string.IsNullOrWhiteSpace(modeText) && !Enum.TryParse(modeText, ignoreCase: true, out mode))
        {
            throw new PostgresUnavailableException(
                $"Postgres:Mode '{modeText}' is not one of: auto, existing, container, local.");
        }

        var dataDirectory = section["DataDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            // Beside CrmToolkit.sln, in the git-ignored .data/ folder.
            : Path.GetFullPath(Path.Combine(appHostDirectory, "..", ".data", "postgres"));

        return new PostgresSettings(mode, section["BinDirectory"], dataDirectory, section["RunAsUser"] ?? OsUser.DefaultName);
    }
}
