using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// Starts the real AppHost once per test run (2 cores: one DCP, one PostgreSQL), on a throw-away data
/// directory, and waits until the migration worker has finished and the API is healthy.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "crmtoolkit-tests", Guid.NewGuid().ToString("N"));

    public DistributedApplication App { get; private set; } = null!;
    public HttpClient Api { get; private set; } = null!;

    /// <summary>The migration worker's (owner) connection string to the migrated crm database.</summary>
    public string ConnectionString { get; private set; } = null!;

    public NpgsqlDataSource Database { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
            [
                // Never a developer's own server from user secrets, and a fresh data directory each run.
                "--ConnectionStrings:crm=",
                $"--Postgres:DataDirectory={_dataDirectory}",
            ],
            (options, _) => options.DisableDashboard = true,
            cts.Token);

        // With the dashboard off nothing listens for OTLP; each exporter would retry for ~15 s on shutdown.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context =>
                context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }

        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);

        var notifications = App.Services.GetRequiredService<ResourceNotificationService>();
        await notifications.WaitForResourceAsync("migrator", KnownResourceStates.Finished, cts.Token);
        await notifications.WaitForResourceHealthyAsync("api", cts.Token);

        Api = App.CreateHttpClient("api");
        ConnectionString = await App.GetConnectionStringAsync("crm", cts.Token)
            ?? throw new InvalidOperationException("The crm database has no connection string.");
        Database = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        Api?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // The server may still be releasing files; the folder is under the temp directory.
        }
    }

    /// <summary>The latest snapshot the orchestrator published for a resource.</summary>
    public CustomResourceSnapshot Snapshot(string resourceName) =>
        App.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(resourceName, out var resourceEvent)
            ? resourceEvent.Snapshot
            : throw new InvalidOperationException($"No state for resource '{resourceName}'.");
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app";
}
