using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Hosting.Postgres;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrmToolkit.Tests.Citus;

/// <summary>
/// The AppHost's Citus topology (<c>Postgres:CitusWorkers=2</c>): a coordinator and two workers, each its own resource,
/// set up before the migrator may start, and set up again, not twice, after a restart. Needs nothing of the migration.
/// </summary>
[Collection(CitusCollection.Name)]
[Trait("Category", "Citus")]
public sealed class CitusTopologyTests(CitusAppFixture fixture)
{
    [CitusFact]
    public async Task BothWorkersAreActiveOnTheCoordinator()
    {
        await using var coordinator = await fixture.OpenNodeAsync(CitusAppFixture.Coordinator);

        var active = await coordinator.ListAsync("SELECT node_name || ':' || node_port FROM citus_get_active_worker_nodes() ORDER BY node_port");

        Assert.Equal(CitusAppFixture.Workers.Select(w => $"127.0.0.1:{fixture.Port(w)}").Order(), active.Order());
    }

    [CitusFact]
    public async Task EveryNodeHasTheCrmDatabaseWithTheCitusExtension()
    {
        foreach (var node in CitusAppFixture.Nodes)
        {
            await using var database = await fixture.OpenNodeAsync(node);
            var version = await database.ListAsync("SELECT extversion FROM pg_extension WHERE extname = 'citus'");
            Assert.True(version.Count == 1, $"{node} has no citus extension in crm");
        }
    }

    [CitusFact]
    public async Task TheAppRoleReadsEveryWorkersShardsThroughTheCoordinatorWithItsPassword()
    {
        // The role as the migrator makes it (a login with the crm-app-password parameter), made here so that this test
        // needs no migration: Citus copies it to the workers, and the coordinator's connections to them as crm_app
        // authenticate with the password from the nodes' pgpass file.
        var app = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync(CrmDatabaseBuilderExtensions.AppConnectionName));
        var table = $"citus_reach_{Guid.NewGuid():N}";
        await using var coordinator = await fixture.OpenNodeAsync(CitusAppFixture.Coordinator);
        await coordinator.ExecuteAsync($$"""DO $$ BEGIN CREATE ROLE {{app.Username}} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$""");
        await coordinator.ExecuteAsync($"ALTER ROLE {app.Username} WITH LOGIN PASSWORD '{app.Password!.Replace("'", "''", StringComparison.Ordinal)}'");
        await coordinator.ExecuteAsync($"CREATE TABLE {table} (workspace_id text PRIMARY KEY)");
        try
        {
            await coordinator.ExecuteAsync($"SELECT create_distributed_table('{table}', 'workspace_id')");
            await coordinator.ExecuteAsync($"INSERT INTO {table} SELECT 'ws-' || i FROM generate_series(1, 64) i");
            await coordinator.ExecuteAsync($"GRANT SELECT ON {table} TO {app.Username}");
            Assert.Equal(CitusAppFixture.WorkerCount, await coordinator.ScalarAsync<long>($"SELECT count(DISTINCT nodeport) FROM citus_shards WHERE table_name = '{table}'::regclass"));

            await using var asApp = NpgsqlDataSource.Create(app.ConnectionString);
            Assert.Equal(64, await asApp.ScalarAsync<long>($"SELECT count(*) FROM {table}"));
            foreach (var worker in CitusAppFixture.Workers)
            {
                await using var node = await fixture.OpenNodeAsync(worker);
                Assert.True(await node.ScalarAsync<bool>("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", app.Username!), $"{worker} has no login role {app.Username}");
            }
        }
        finally
        {
            await coordinator.ExecuteAsync($"DROP TABLE {table}");
        }
    }

    [CitusFact]
    public void EachNodeIsAResourceOfItsOwnThatNamesItsRole()
    {
        Assert.Equal("coordinator", Property(CitusAppFixture.Coordinator, CitusCluster.RoleProperty));
        Assert.All(CitusAppFixture.Workers, w => Assert.Equal("worker", Property(w, CitusCluster.RoleProperty)));
        Assert.Equal(CitusAppFixture.WorkerCount, Convert.ToInt32(Property(CrmDatabaseBuilderExtensions.DatabaseName, CitusCluster.WorkersProperty), System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(CitusAppFixture.Nodes, n => Assert.Equal(KnownResourceStates.Running, fixture.Snapshot(n).State?.Text));
    }

    [CitusFact]
    public async Task ARestartedAppHostStopsEveryNodeAndRegistersTheWorkersAtTheirNewPorts()
    {
        await fixture.StopAsync();
        await fixture.StartAsync();

        await using var coordinator = await fixture.OpenNodeAsync(CitusAppFixture.Coordinator);
        var nodes = await coordinator.ListAsync("SELECT groupid || ' ' || nodename || ':' || nodeport || ' ' || isactive::text FROM pg_dist_node ORDER BY groupid");
        var expected = CitusAppFixture.Nodes.Select(n => $"127.0.0.1:{fixture.Port(n)} true").ToList();
        Assert.Equal(expected.Order(), nodes.Select(n => n[(n.IndexOf(' ') + 1)..]).Order());
        Assert.StartsWith($"0 127.0.0.1:{fixture.Port(CitusAppFixture.Coordinator)} ", nodes[0]);
        Assert.Equal(CitusAppFixture.WorkerCount, (await coordinator.ListAsync("SELECT 1 FROM citus_get_active_worker_nodes()")).Count);
    }

    [CitusFact]
    public async Task AWorkerRestartedOnItsOwnIsRegisteredAgain()
    {
        var worker = CitusAppFixture.Workers[0];
        var before = fixture.Snapshot(worker).StartTimeStamp;

        var result = await fixture.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(worker, KnownResourceCommands.RestartCommand);
        Assert.True(result.Success, result.Message);

        await using var coordinator = await fixture.OpenNodeAsync(CitusAppFixture.Coordinator);
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var restarted = fixture.Snapshot(worker) is { StartTimeStamp: { } started, State.Text: var state } && started > before && state == KnownResourceStates.Running
                && await AcceptsConnectionsAsync(worker);
            var expected = CitusAppFixture.Workers.Select(w => $"127.0.0.1:{fixture.Port(w)}").Order().ToList();
            var active = await coordinator.ListAsync("SELECT node_name || ':' || node_port FROM citus_get_active_worker_nodes() ORDER BY node_port");
            var synced = await coordinator.ScalarAsync<bool>("SELECT bool_and(metadatasynced) FROM pg_dist_node");
            if (restarted && synced && expected.SequenceEqual(active.Order()))
            {
                break;
            }

            Assert.True(waiting.Elapsed < TimeSpan.FromSeconds(60), $"After 60 s the coordinator has [{string.Join(", ", active)}], not [{string.Join(", ", expected)}] (synced: {synced}).");
            await Task.Delay(250);
        }
    }

    [CitusFact]
    public async Task AWorkerThatLostItsShardsStopsTheSetupWithOneLineAndTheMigratorDoesNotStart()
    {
        await using (var coordinator = await fixture.OpenNodeAsync(CitusAppFixture.Coordinator))
        {
            await coordinator.ExecuteAsync("CREATE TABLE lost_shards (workspace_id text PRIMARY KEY)");
            await coordinator.ExecuteAsync("SELECT create_distributed_table('lost_shards', 'workspace_id')");
        }

        await fixture.StopAsync();
        Directory.Delete(fixture.DataDirectories.Last(), recursive: true);
        try
        {
            Assert.Equal(KnownResourceStates.FailedToStart, await fixture.TryStartAsync());
            var log = await ResourceLog.ReplayAsync(fixture.App, CitusAppFixture.Coordinator);
            Assert.Contains(log, l => l.Text.Contains("which no worker's data directory claims any more", StringComparison.Ordinal));
            Assert.Null(fixture.Snapshot("migrator").ExitCode);

            // Not mended by a reset: the migrator's wait on this start's setup has failed for good.
            var reset = await fixture.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(
                CrmDatabaseBuilderExtensions.DatabaseName, DatabaseResetCommands.ResetCommand);
            Assert.False(reset.Success);
            Assert.Contains("could not be set up at start", reset.Message, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.StartOverAsync();
        }
    }

    [CitusFact]
    public async Task ResetDatabaseDropsItOnEveryNodeAndSetsTheClusterUpAgain()
    {
        await using (var coordinator = await fixture.OpenNodeAsync(CitusAppFixture.Coordinator))
        {
            await coordinator.ExecuteAsync("CREATE TABLE reset_marker (id int)");
        }

        var result = await fixture.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(
            CrmDatabaseBuilderExtensions.DatabaseName, DatabaseResetCommands.ResetCommand);

        // The cluster part of the reset; whether the migrator then succeeds on Citus is the migration's business.
        Assert.True(result.Success, result.Message);
        await using (var coordinator = await fixture.OpenNodeAsync(CitusAppFixture.Coordinator))
        {
            Assert.Empty(await coordinator.ListAsync("SELECT 1 FROM pg_class WHERE relname = 'reset_marker'"));
            Assert.Equal(CitusAppFixture.WorkerCount, (await coordinator.ListAsync("SELECT 1 FROM citus_get_active_worker_nodes()")).Count);
        }

        foreach (var node in CitusAppFixture.Nodes)
        {
            await using var database = await fixture.OpenNodeAsync(node);
            Assert.Single(await database.ListAsync("SELECT 1 FROM pg_extension WHERE extname = 'citus'"));
        }
    }

    // Running means the process started; the server accepts connections a moment later.
    private async Task<bool> AcceptsConnectionsAsync(string node)
    {
        try
        {
            await using var database = await fixture.OpenNodeAsync(node);
            return await database.ScalarAsync<int>("SELECT 1") == 1;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private object? Property(string resource, string name) =>
        fixture.Snapshot(resource).Properties.SingleOrDefault(p => p.Name == name)?.Value;
}
