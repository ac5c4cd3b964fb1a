using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Hosting.Mail;
using CrmToolkit.Hosting.Postgres;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CrmToolkit.Tests.Operations;

/// <summary>
/// The local server's start (local mode): an AppHost started again at once waits for the previous one's server, and a
/// start that cannot succeed ends the AppHost with one line that says why and what fixes it. Real AppHosts and servers,
/// in the shared collection so that they never run beside the other data tests on two cores.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class LocalPostgresStartTests
{
    private const string Server = CrmDatabaseBuilderExtensions.ServerName;
    private const string WaitingLine = "is still held by a previous PostgreSQL server";

    [Fact]
    public async Task AnAppHostStartedAgainBeforeThePreviousOneHasStoppedWaitsForItsServerAndGetsAHealthyApi()
    {
        var dataDirectory = TestAppHost.NewDataDirectory();
        DistributedApplication? first = null;
        DistributedApplication? second = null;
        try
        {
            using var cts = new CancellationTokenSource(TestAppHost.StartTimeout);
            var firstBuilder = await TestAppHost.CreateBuilderAsync(dataDirectory, cts.Token);
            // Of the first AppHost only its server matters: the rest would only make it slower to start and to stop.
            foreach (var resource in firstBuilder.Resources.Where(r => r.Name is "api" or "migrator" or MailCatcherBuilderExtensions.ResourceName).ToList())
            {
                firstBuilder.CreateResourceBuilder(resource).WithExplicitStart();
            }

            first = await firstBuilder.BuildAsync(cts.Token);
            await first.StartAsync(cts.Token);
            await first.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync(Server, cts.Token);

            // The second AppHost reaches the data directory while the first one's server still holds it: the race of a
            // quick restart (that server takes a few seconds to go), made certain. Its start returns once every resource
            // has started, so it is awaited only after the first AppHost has stopped.
            second = await (await TestAppHost.CreateBuilderAsync(dataDirectory, cts.Token)).BuildAsync(cts.Token);
            var notifications = second.Services.GetRequiredService<ResourceNotificationService>();
            var starting = second.StartAsync(cts.Token);
            // Watched from its start on: only then does its log have the name the orchestrator gives it.
            await notifications.WaitForResourceAsync(Server, e => e.Snapshot.State?.Text is { } state && state != KnownResourceStates.NotStarted, cts.Token);
            await using var log = new ResourceLog(second, Server);
            while (!log.Lines.Any(line => line.Contains(WaitingLine, StringComparison.Ordinal)))
            {
                if (notifications.TryGetCurrentState(Server, out var current) && KnownResourceStates.TerminalStates.Contains(current.Snapshot.State?.Text))
                {
                    Assert.Fail($"The second server ended {current.Snapshot.State?.Text} instead of waiting for the first:{Environment.NewLine}"
                        + string.Join(Environment.NewLine, (await ResourceLog.ReplayAsync(second, Server)).Select(line => line.Text)));
                }

                await Task.Delay(100, cts.Token);
            }

            await first.DisposeAsync();
            first = null;
            await starting;

            await TestAppHost.WaitForApiAsync(second, cts.Token);
            using var http = new HttpClient { BaseAddress = second.GetEndpoint("api", "http"), Timeout = TimeSpan.FromSeconds(10) };
            using var health = await http.GetAsync("/health", cts.Token);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            if (first is not null)
            {
                await first.DisposeAsync();
            }

            await TestAppHost.StopAsync(second, dataDirectory);
        }
    }

    [Fact]
    public async Task ADataDirectoryHeldByAServerStartedByHandEndsTheAppHostWithOneLineThatSaysHowToStopIt()
    {
        await using var byHand = await PostgresServer.StartEmptyAsync();

        var started = Stopwatch.StartNew();
        var (exitCode, stdout, stderr) = await AppHostProgram.RunAsync(string.Join(' ',
            ["--ConnectionStrings:crm= --Postgres:Mode=local", $"--Postgres:DataDirectory={byHand.DataDirectory}", .. TestAppHost.DashboardArguments()]));

        Assert.True(exitCode == 1, $"exit code {exitCode} after {started.Elapsed}{Environment.NewLine}{stdout}{stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"its data directory {byHand.DataDirectory} is in use by another PostgreSQL server", line);
        Assert.Contains($"pg_ctl stop -D {byHand.DataDirectory}", line);
        // No wait (30 s at most) for a server that nobody is stopping: only the AppHost's own start and stop.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
    }
}
