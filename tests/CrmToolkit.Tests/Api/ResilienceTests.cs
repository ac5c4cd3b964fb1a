using System.Diagnostics;
using System.Net;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>The API under database faults: lost connections are retried, an overloaded database is a 503.</summary>
[Collection(AppCollection.Name)]
public sealed class ResilienceTests(AppFixture app)
{
    [Fact]
    public async Task ConnectionsTerminatedByTheServerAreRetriedAndTheNextRequestsSucceed()
    {
        using var client = app.NewClient();
        var owner = await client.RegisterAsync();
        var role = new Npgsql.NpgsqlConnectionStringBuilder(app.AppConnectionString).Username!;

        for (var round = 0; round < 3; round++)
        {
            // The API keeps pooled connections open; every one of them dies under it, as in a failover or an
            // idle-connection reaper.
            await (await client.GetAsync("/api/me", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
            var killed = await app.Database.ScalarAsync<long>(
                "SELECT count(*) FILTER (WHERE k) FROM (SELECT pg_terminate_backend(pid) AS k FROM pg_stat_activity WHERE usename = $1) t", role);
            Assert.True(killed >= 1, "No connection of the API was open to terminate.");

            await (await client.GetAsync("/api/me", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
            await (await client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/contacts", new { firstName = $"After kill {round}" }, owner.Token))
                .ReadJsonAsync(HttpStatusCode.Created);
            await (await client.GetAsync($"/api/workspaces/{owner.WorkspaceId}/members", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        }

        Assert.Equal(3L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM contacts WHERE workspace_id = $1", owner.WorkspaceId));
    }

    /// <summary>
    /// When the database cannot serve a request in time (no connection free in the pool, a statement that
    /// runs too long), the caller gets a 503 ProblemDetails with Retry-After within a bounded time: never a
    /// hang, never a 500. Uses its own API instance with a two-connection pool and short timeouts.
    /// </summary>
    [Fact]
    public async Task AnExhaustedPoolIsA503WithinBoundedTimeAndTheApiRecovers()
    {
        using var api = await ApiProcess.StartAsync(app, new Dictionary<string, string>
        {
            ["Crm__Data__MaxPoolSize"] = "2",
            ["Crm__Data__ConnectionTimeout"] = "00:00:01",
            ["Crm__Data__StatementTimeout"] = "00:00:03",
            ["Crm__Data__MaxRetryCount"] = "1",
            ["Crm__Data__MaxRetryDelay"] = "00:00:00.200",
        });
        using var client = api.NewClient();
        var owner = await client.RegisterAsync();
        var member = await client.RegisterAsync();
        await client.AddMemberAsync(owner, member, "member");

        // Hold the workspace row: role changes queue behind it, each holding one of the two connections.
        await using var connection = await app.Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockRow = new Npgsql.NpgsqlCommand("SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.Add(new Npgsql.NpgsqlParameter { Value = owner.WorkspaceId });
            await lockRow.ExecuteNonQueryAsync();
        }

        var slow = Enumerable.Range(0, 2)
            .Select(_ => client.PatchAsync($"/api/workspaces/{owner.WorkspaceId}/members/{member.UserId}", new { role = "admin" }, owner.Token))
            .ToList();
        await Task.Delay(500);

        var clock = Stopwatch.StartNew();
        var starved = await client.GetAsync("/api/me", owner.Token);
        clock.Stop();

        await starved.ReadProblemAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("1", starved.Headers.GetValues("Retry-After").Single());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"The 503 took {clock.Elapsed}.");

        // The queued writes end by the statement timeout: a 503 too, or done if they got through; never a 500.
        foreach (var response in await Task.WhenAll(slow))
        {
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
        }

        await transaction.RollbackAsync();
        await (await client.GetAsync("/api/me", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
    }
}
