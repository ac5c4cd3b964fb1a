using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Hosting.Mail;
using CrmToolkit.Hosting.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// Starts the real AppHost once per test run (2 cores: one DCP, one PostgreSQL), on a throw-away data
/// directory, and waits until the migration worker has finished and the API is healthy (which waits for the mail
/// catcher).
/// </summary>
public sealed class AppFixture : IAsyncLifetime, ITestApp
{
    private readonly string _dataDirectory = TestAppHost.NewDataDirectory();

    /// <summary>The API's connection pool size in tests.</summary>
    public const int PoolSize = 3;

    /// <summary>How often the API purges expired sessions in tests (10 minutes by default).</summary>
    public static readonly TimeSpan PurgeInterval = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan MailCommandTimeout = TimeSpan.FromMinutes(1);

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The API's base address.</summary>
    public Uri ApiAddress { get; private set; } = null!;

    /// <summary>A client of its own (its own loopback address, so its own rate-limit partition).</summary>
    public ApiClient NewClient() => new(ApiAddress, owner: Database);

    /// <summary>The migration worker's (owner) connection string to the migrated crm database.</summary>
    public string ConnectionString { get; private set; } = null!;

    /// <summary>Owner connections (bypass row-level security): for arranging and inspecting data.</summary>
    public NpgsqlDataSource Database { get; private set; } = null!;

    /// <summary>The API's connection string: the application role, under row-level security.</summary>
    public string AppConnectionString { get; private set; } = null!;

    /// <summary>The mail catcher's web UI and REST API (smtp4dev): where the API's mails can be read.</summary>
    public Uri MailCatcherAddress { get; private set; } = null!;

    /// <summary>The mails the API sent.</summary>
    public MailCatcher Mail { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TestAppHost.StartTimeout);
        // Never a developer's own server, data or ports: a data directory, a volume and ports of this run's own.
        var builder = await TestAppHost.CreateBuilderAsync(_dataDirectory, cts.Token);

        // pg_stat_statements records every statement the API sends (ShardReadyTests reads it).
        var postgres = builder.Resources.OfType<IResourceWithArgs>().Single(r => r.Name == "postgres");
        builder.CreateResourceBuilder(postgres).WithArgs("-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all");

        // A tiny connection pool for the whole run: a connection that kept a workspace between requests
        // would show up in every test, and the pool-leak test hammers exactly this.
        var api = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "api");
        builder.CreateResourceBuilder(api)
            .WithEnvironment("Crm__Data__MaxPoolSize", PoolSize.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("Auth__Sessions__PurgeInterval", PurgeInterval.ToString())
            // The generated-input tests create hundreds of workspaces and invitations as one user; the per-user
            // allowances are tested on an API instance of their own with the defaults (AbuseTests).
            .WithEnvironment("Workspaces__PerUserPerHour", "100000")
            .WithEnvironment("Invitations__PerInviterPerHour", "100000");

        App = await builder.BuildAsync(cts.Token);
        await TestAppHost.StartAsync(App, cts.Token);

        ApiAddress = App.GetEndpoint("api", "http");
        ConnectionString = await App.GetConnectionStringAsync("crm", cts.Token)
            ?? throw new InvalidOperationException("The crm database has no connection string.");
        Database = NpgsqlDataSource.Create(ConnectionString);
        AppConnectionString = await App.GetConnectionStringAsync(CrmDatabaseBuilderExtensions.AppConnectionName, cts.Token)
            ?? throw new InvalidOperationException("The crmapp connection string is missing.");
        await Database.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        MailCatcherAddress = App.GetEndpoint(MailCatcherBuilderExtensions.ResourceName, MailCatcherBuilderExtensions.HttpEndpointName);
        Mail = new MailCatcher(MailCatcherAddress);
    }

    public async Task DisposeAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        Mail?.Dispose();

        await TestAppHost.StopAsync(App, _dataDirectory);
    }

    /// <summary>Stops the mail catcher through the AppHost, as the dashboard's Stop does: from then on SMTP refuses.</summary>
    public async Task StopMailAsync()
    {
        using var cts = new CancellationTokenSource(MailCommandTimeout);
        await ExecuteAsync(MailCatcherBuilderExtensions.ResourceName, KnownResourceCommands.StopCommand, cts.Token);
        await App.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(
            MailCatcherBuilderExtensions.ResourceName, e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cts.Token);
    }

    /// <summary>
    /// Starts the stopped mail catcher again and waits until its REST API answers. It keeps mails in memory only, so
    /// it starts empty: what it caught before the stop is gone.
    /// </summary>
    public async Task StartMailAsync()
    {
        using var cts = new CancellationTokenSource(MailCommandTimeout);
        await ExecuteAsync(MailCatcherBuilderExtensions.ResourceName, KnownResourceCommands.StartCommand, cts.Token);
        await App.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync(MailCatcherBuilderExtensions.ResourceName, cts.Token);
        // The health reports of the previous run may still stand for a moment: ask the catcher itself.
        using var http = new HttpClient { BaseAddress = MailCatcherAddress, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("api/server", cts.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cts.IsCancellationRequested))
            {
                // The proxy is there before the catcher is.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cts.Token);
        }
    }

    private async Task ExecuteAsync(string resourceName, string command, CancellationToken cancellationToken)
    {
        var result = await App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(resourceName, command, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} on {resourceName} failed: {result.Message}");
        }
    }

    /// <summary>Waits (up to 20 s) until at least <paramref name="count"/> of the API's backends wait on a lock: its requests are then mid-transaction.</summary>
    public async Task ApiBackendsWaitingOnALockAsync(long count)
    {
        var role = new NpgsqlConnectionStringBuilder(AppConnectionString).Username!;
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (await Database.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'", role) < count)
        {
            Assert.True(waiting.Elapsed < TimeSpan.FromSeconds(20), $"Fewer than {count} requests reached the database.");
            await Task.Delay(50);
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
