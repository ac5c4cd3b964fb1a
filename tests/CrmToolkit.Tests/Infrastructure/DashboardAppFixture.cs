using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Npgsql;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// A second AppHost, as <c>dotnet run</c> starts it: with the Aspire dashboard and its telemetry (the shared
/// <see cref="AppFixture"/> runs without both), in Development, on a throw-away data directory and free ports.
/// For the dashboard test and the database reset commands, which must not disturb the shared app.
/// </summary>
public sealed class DashboardAppFixture : IAsyncLifetime
{
    private readonly string _dataDirectory = TestAppHost.NewDataDirectory();

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>The dashboard's address (unsecured transport, as the http launch profile runs it).</summary>
    public Uri DashboardAddress { get; private set; } = null!;

    /// <summary>The token of the dashboard's login URL (<c>/login?t=...</c>) that the AppHost prints.</summary>
    public string BrowserToken { get; private set; } = null!;

    /// <summary>The API's base address (through the orchestrator's proxy, as in development).</summary>
    public Uri ApiAddress { get; private set; } = null!;

    /// <summary>A client of its own loopback address.</summary>
    public ApiClient NewClient() => new(ApiAddress);

    /// <summary>Owner connection string of the crm database.</summary>
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(TestAppHost.StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
            [.. TestAppHost.IsolatedArguments(_dataDirectory), .. TestAppHost.DashboardArguments()],
            (options, _) => options.DisableDashboard = false,
            cts.Token);
        BrowserToken = builder.Configuration["AppHost:BrowserToken"]
            ?? throw new InvalidOperationException("The AppHost made no dashboard browser token.");

        App = await builder.BuildAsync(cts.Token);
        await TestAppHost.StartAsync(App, cts.Token);

        ApiAddress = App.GetEndpoint("api", "http");
        // With randomized ports (Aspire.Hosting.Testing) the dashboard is reached through a proxy of its own port.
        DashboardAddress = App.GetEndpoint("aspire-dashboard", "http");
        ConnectionString = await App.GetConnectionStringAsync("crm", cts.Token)
            ?? throw new InvalidOperationException("The crm database has no connection string.");
    }

    /// <summary>Owner connections to the crm database (bypass row-level security); dispose after use.</summary>
    public NpgsqlDataSource OpenDatabase() => NpgsqlDataSource.Create(ConnectionString);

    public Task DisposeAsync() => TestAppHost.StopAsync(App, _dataDirectory);
}
