using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using CrmToolkit.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// The API against a PostgreSQL server of the test's own, which the test stops and starts: a restart under load,
/// and a database that is down when the API starts. In the shared collection so the load has the machine to itself.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class DatabaseFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Downtime = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(5);

    private sealed record Outcome(TimeSpan Started, TimeSpan Ended, HttpStatusCode Status, string? MediaType, Guid? Created);

    [Fact]
    public async Task ARestartUnderLoadLosesNoAcknowledgedWriteAndOnlyHealthNoticesIt()
    {
        await using var server = await PostgresServer.StartMigratedAsync();
        using var api = await ApiProcess.StartAsync(server.AppConnectionString, settings: null, readyPath: "/health");
        using var client = api.NewClient();
        var accounts = new List<Account>();
        for (var i = 0; i < 4; i++)
        {
            accounts.Add(await client.RegisterAsync());
        }

        var clock = Stopwatch.StartNew();
        var outcomes = new ConcurrentQueue<Outcome>();
        var health = new ConcurrentQueue<(TimeSpan At, HttpStatusCode Health, HttpStatusCode Alive)>();
        using var stop = new CancellationTokenSource();

        // Authenticated reads and writes, two loops per account, back to back.
        var load = accounts.Concat(accounts).Select((account, n) => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var started = clock.Elapsed;
                using var response = i % 2 == 0
                    ? await client.GetAsync("/api/me", account.Token)
                    : await client.PostAsync($"/api/workspaces/{account.WorkspaceId}/contacts", new { firstName = $"Load {n}-{i}" }, account.Token);
                Guid? created = response.StatusCode == HttpStatusCode.Created
                    ? (await response.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid()
                    : null;
                outcomes.Enqueue(new(started, clock.Elapsed, response.StatusCode, response.Content.Headers.ContentType?.MediaType, created));
            }
        })).ToList();
        var probe = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var healthResponse = await client.GetAsync("/health");
                using var aliveResponse = await client.GetAsync("/alive");
                health.Enqueue((clock.Elapsed, healthResponse.StatusCode, aliveResponse.StatusCode));
                await Task.Delay(100);
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(3));
        var down = clock.Elapsed;
        await server.StopAsync(); // fast shutdown: open transactions roll back, every connection is cut
        await Task.Delay(Downtime);
        await server.StartAsync();
        var up = clock.Elapsed;
        await Task.Delay(Recovery + TimeSpan.FromSeconds(4));
        await stop.CancelAsync();
        await Task.WhenAll([.. load, probe]); // a loop that threw (connection refused: a crashed API) fails here

        Assert.False(api.HasExited, "The API process ended.");
        output.WriteLine($"{outcomes.Count} requests, {outcomes.Count(o => o.Created is not null)} created; server down {down} to {up}; " +
            $"{outcomes.Count(o => (int)o.Status >= 400)} failed, the last at {outcomes.Where(o => (int)o.Status >= 400).Select(o => o.Ended).DefaultIfEmpty().Max()}; " +
            $"/health unhealthy {health.Count(h => h.Health != HttpStatusCode.OK)} of {health.Count} probes");
        var failures = outcomes.Where(o => (int)o.Status >= 400).ToList();
        Assert.All(failures, f =>
        {
            // Only while the server was away, plus the recovery allowance; and as a 503 ProblemDetails.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, f.Status);
            Assert.Equal("application/problem+json", f.MediaType);
            Assert.InRange(f.Ended, down, up + Recovery);
        });
        var afterRecovery = outcomes.Where(o => o.Started > up + Recovery).ToList();
        Assert.True(afterRecovery.Count(o => o.Status is HttpStatusCode.OK) >= 10, $"Only {afterRecovery.Count} requests after recovery.");
        Assert.Contains(afterRecovery, o => o.Status == HttpStatusCode.Created);

        // Every acknowledged write is in the table.
        var acknowledged = outcomes.Where(o => o.Created is not null).Select(o => o.Created!.Value).ToHashSet();
        await using var db = server.OwnerDataSource();
        await using var command = db.CreateCommand("SELECT id FROM contacts");
        var stored = new HashSet<Guid>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored.Add(reader.GetGuid(0));
            }
        }

        Assert.Empty(acknowledged.Except(stored));

        // /health follows the database down and back; /alive (the process) never wavers.
        Assert.Contains(health, h => h.At > down && h.At < up && h.Health == HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.OK, health.Last().Health);
        Assert.All(health, h => Assert.Equal(HttpStatusCode.OK, h.Alive));

        // What the API logged about the outage names no token and no SQL, and holds no stack trace.
        var (exitCode, log) = await api.StopAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(log);
        Assert.Equal(0, exitCode);
        Assert.All(accounts, a => Assert.DoesNotContain(a.Token.Split('.')[1], log));
        Assert.DoesNotContain("INSERT INTO", log);
        Assert.DoesNotContain("SELECT ", log);
        Assert.DoesNotContain("   at ", log);
    }

    [Fact]
    public async Task AnApiStartedWithoutItsDatabaseIsAliveUnhealthyAndServesOnceTheDatabaseIsBack()
    {
        await using var server = await PostgresServer.StartMigratedAsync();
        await server.StopAsync();

        using var api = await ApiProcess.StartAsync(server.AppConnectionString, new Dictionary<string, string>
        {
            ["Crm__Data__MaxRetryDelay"] = "00:00:00.500",
        }, readyPath: "/alive");
        using var client = api.NewClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);

        var clock = Stopwatch.StartNew();
        var refused = await client.PostAsync("/api/auth/register", new { email = $"early-{Guid.NewGuid():N}@example.com", password = "correct horse", name = "Early" });
        await refused.ReadProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"The 503 took {clock.Elapsed}.");

        await server.StartAsync();
        var deadline = Stopwatch.StartNew();
        while ((await client.GetAsync("/health")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "/health stayed unhealthy after the database came back.");
            await Task.Delay(200);
        }

        var account = await client.RegisterAsync();
        await (await client.GetAsync("/api/me", account.Token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(api.HasExited);
    }
}
