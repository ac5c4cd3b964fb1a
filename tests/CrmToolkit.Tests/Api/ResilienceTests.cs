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
        // Both connections are taken once both writes wait on the row lock (not after a fixed delay: a cold API
        // on a busy machine can take longer than any delay to send them).
        await app.ApiBackendsWaitingOnALockAsync(2);

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

    /// <summary>
    /// Registration and workspace creation write several rows in one transaction. The API's connection is
    /// killed in the middle (its user and workspace rows written, blocked on the membership): afterwards the
    /// account is either whole (the execution strategy retried the transaction) or absent, never half-made.
    /// </summary>
    [Theory]
    [InlineData(1)] // killed once: the retry succeeds
    [InlineData(4)] // killed on every attempt (3 retries): the request fails, and nothing of it remains
    public async Task AConnectionKilledInTheMiddleOfRegistrationLeavesNothingHalfMade(int kills)
    {
        using var client = app.NewClient();
        var email = $"half-{Guid.NewGuid():N}@example.com";

        var response = await WithMembershipInsertsKilledAsync(kills, () =>
            client.PostAsync("/api/auth/register", new { email, password = "correct horse", name = "Half" }));

        var users = await app.Database.ScalarAsync<long>("SELECT count(*) FROM users WHERE email = $1", email);
        var workspaces = await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM workspaces w JOIN users u ON u.id = w.created_by WHERE u.email = $1", email);
        var memberships = await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM workspace_members m JOIN users u ON u.id = m.user_id WHERE u.email = $1", email);
        var sessions = await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1", email);
        if (kills == 1)
        {
            await response.ReadJsonAsync(HttpStatusCode.Created);
            Assert.Equal((1L, 1L, 1L, 1L), (users, workspaces, memberships, sessions));
        }
        else
        {
            await response.ReadProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal((0L, 0L, 0L, 0L), (users, workspaces, memberships, sessions));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task AConnectionKilledInTheMiddleOfWorkspaceCreationLeavesNothingHalfMade(int kills)
    {
        using var client = app.NewClient();
        var owner = await client.RegisterAsync();
        var id = $"half{Guid.NewGuid():N}"[..16];

        var response = await WithMembershipInsertsKilledAsync(kills, () =>
            client.PostAsync("/api/workspaces", new { name = "Half made", id }, owner.Token));

        var rows = (
            await app.Database.ScalarAsync<long>("SELECT count(*) FROM workspaces WHERE id = $1", id),
            await app.Database.ScalarAsync<long>("SELECT count(*) FROM workspace_members WHERE workspace_id = $1", id),
            await app.Database.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE workspace_id = $1", id));
        if (kills == 1)
        {
            await response.ReadJsonAsync(HttpStatusCode.Created);
            Assert.Equal((1L, 1L, 1L), rows);
        }
        else
        {
            await response.ReadProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal((0L, 0L, 0L), rows);
        }
    }

    /// <summary>
    /// Sends a request while inserts into workspace_members are blocked (reads still pass), and each time the
    /// API's connection waits on that lock mid-transaction, terminates it: <paramref name="kills"/> times.
    /// </summary>
    private async Task<HttpResponseMessage> WithMembershipInsertsKilledAsync(int kills, Func<Task<HttpResponseMessage>> send)
    {
        var role = new Npgsql.NpgsqlConnectionStringBuilder(app.AppConnectionString).Username!;
        await using var connection = await app.Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var block = new Npgsql.NpgsqlCommand("LOCK TABLE workspace_members IN SHARE MODE", connection, transaction))
        {
            await block.ExecuteNonQueryAsync();
        }

        var request = send();
        for (var killed = 0; killed < kills;)
        {
            // A backend of the API inside a transaction that already wrote (it holds a transaction id), now waiting on the lock.
            var terminated = await app.Database.ScalarAsync<long>(
                """
                SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE usename = $1 AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL
                """, role);
            killed += (int)terminated;
            Assert.False(request.IsCompleted && killed < kills, $"The request ended after {killed} of {kills} kills: {(request.IsCompleted ? request.Result.StatusCode : default)}");
            await Task.Delay(50);
        }

        await transaction.RollbackAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await request.WaitAsync(timeout.Token);
    }

    /// <summary>
    /// SIGTERM (what an orchestrator sends) while requests are inside their transactions: they finish and
    /// commit, then the process exits 0.
    /// </summary>
    [Fact]
    public async Task GracefulShutdownLetsInFlightRequestsCommit()
    {
        using var api = await ApiProcess.StartAsync(app);
        using var client = api.NewClient();
        var owner = await client.RegisterAsync();
        var members = await client.AddNewMembersAsync(owner, 3);

        // The workspace row is held, so the role changes wait in the database, mid-request.
        await using var connection = await app.Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockRow = new Npgsql.NpgsqlCommand("SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.Add(new Npgsql.NpgsqlParameter { Value = owner.WorkspaceId });
            await lockRow.ExecuteNonQueryAsync();
        }

        var inFlight = members
            .Select(m => client.PatchAsync($"/api/workspaces/{owner.WorkspaceId}/members/{m.UserId}", new { role = "admin" }, owner.Token))
            .ToList();
        await app.ApiBackendsWaitingOnALockAsync(1);

        var stopping = api.StopAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(1)); // the shutdown has begun while they wait
        await transaction.RollbackAsync();

        foreach (var response in await Task.WhenAll(inFlight))
        {
            await response.ReadJsonAsync(HttpStatusCode.OK);
        }

        var (exitCode, _) = await stopping;
        Assert.Equal(0, exitCode);
        Assert.Equal(3L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'admin'", owner.WorkspaceId));
    }
}
