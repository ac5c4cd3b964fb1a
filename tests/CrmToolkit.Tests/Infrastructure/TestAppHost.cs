using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Hosting.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>What the test AppHosts (<see cref="AppFixture"/>, <see cref="DashboardAppFixture"/>) share at start and stop.</summary>
internal static class TestAppHost
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>A throw-away PostgreSQL data directory under the temp directory.</summary>
    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "crmtoolkit-tests", Guid.NewGuid().ToString("N"));

    /// <summary>
    /// The arguments that keep a test AppHost off the developer's data whatever mode it picks: no configured server,
    /// a data directory (local mode) and a volume (container mode) of the test's own, named after the directory.
    /// </summary>
    public static string[] IsolatedArguments(string dataDirectory) =>
        ["--ConnectionStrings:crm=", $"--Postgres:DataDirectory={dataDirectory}", $"--Postgres:DataVolume={DataVolume(dataDirectory)}"];

    /// <summary>
    /// The dashboard's arguments for an AppHost that runs one: free ports (the launch profile's fixed ones may be a
    /// developer's running app), unsecured transport as the http launch profile has it.
    /// </summary>
    public static string[] DashboardArguments() =>
    [
        $"--ASPNETCORE_URLS=http://127.0.0.1:{ProcessHelpers.FreePort()}",
        $"--ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://127.0.0.1:{ProcessHelpers.FreePort()}",
        $"--ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://127.0.0.1:{ProcessHelpers.FreePort()}",
        "--ASPIRE_ALLOW_UNSECURED_TRANSPORT=true",
    ];

    public static string DataVolume(string dataDirectory) => $"crmtoolkit-tests-{Path.GetFileName(dataDirectory)}";

    /// <summary>
    /// A test AppHost of its own on <paramref name="dataDirectory"/> (with <paramref name="arguments"/> added): no dashboard,
    /// and so no OTLP exporters (each would keep retrying on shutdown with nothing listening); the API on a free port with
    /// no orchestrator proxy in front (it sees each test client's own loopback address, so per-address limits can be
    /// tested); the mail catcher's web UI on a free port behind the proxy (which keeps its address across a stop and start
    /// of the catcher). A running app is never in the way.
    /// </summary>
    public static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(
        string dataDirectory, CancellationToken cancellationToken, params string[] arguments)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
            [.. IsolatedArguments(dataDirectory), .. arguments], (options, _) => options.DisableDashboard = true, cancellationToken);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            builder.CreateResourceBuilder(project).WithEnvironment(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));
        }

        var api = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "api");
        builder.CreateResourceBuilder(api).WithEndpoint("http", endpoint =>
        {
            endpoint.IsProxied = false;
            endpoint.Port = null;
            endpoint.TargetPort = null;
        });
        var mail = builder.Resources.OfType<IResourceWithEndpoints>().Single(r => r.Name == MailCatcherBuilderExtensions.ResourceName);
        builder.CreateResourceBuilder(mail).WithEndpoint(MailCatcherBuilderExtensions.HttpEndpointName, endpoint => endpoint.Port = null);
        return builder;
    }

    /// <summary>Starts the built app and waits until the migration worker has finished and the API is healthy.</summary>
    public static async Task StartAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        await app.StartAsync(cancellationToken);
        await WaitForApiAsync(app, cancellationToken);
    }

    /// <summary>
    /// Waits until the migration worker has ended, fails the test with the end of its log unless it finished (exit code
    /// 0), then waits until the API is healthy.
    /// </summary>
    public static async Task WaitForApiAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        var migrator = await notifications.WaitForResourceAsync(
            "migrator", e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), cancellationToken);
        if (migrator.Snapshot.State?.Text != KnownResourceStates.Finished || migrator.Snapshot.ExitCode != 0)
        {
            var log = await ResourceLog.ReplayAsync(app, "migrator");
            Assert.Fail($"The migrator ended {migrator.Snapshot.State?.Text} with exit code {migrator.Snapshot.ExitCode}:\n"
                + string.Join('\n', log.Select(l => l.Text).TakeLast(20)));
        }

        await notifications.WaitForResourceHealthyAsync("api", cancellationToken);
    }

    /// <summary>Deletes a test's data directory, when it is there and no server still holds its files.</summary>
    public static void DeleteDataDirectory(string dataDirectory)
    {
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Not there (nothing started), or a server still releasing files: under the temp directory anyway.
        }
    }

    /// <summary>Stops the app (when it was built) and removes its data directory, or in container mode its volume.</summary>
    public static async Task StopAsync(DistributedApplication? app, string dataDirectory)
    {
        if (app is not null)
        {
            var container = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ContainerResource>().Any(r => r.Name == "postgres");
            await app.DisposeAsync();
            if (container)
            {
                await TestProcess.RunAsync(new System.Diagnostics.ProcessStartInfo("docker", ["volume", "rm", "--force", DataVolume(dataDirectory)]), TimeSpan.FromSeconds(30));
            }
        }

        DeleteDataDirectory(dataDirectory);
    }
}
