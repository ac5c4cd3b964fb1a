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
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        await notifications.WaitForResourceAsync("migrator", KnownResourceStates.Finished, cancellationToken);
        await notifications.WaitForResourceHealthyAsync("api", cancellationToken);
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

        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // The server may still be releasing files; the folder is under the temp directory.
        }
    }
}
