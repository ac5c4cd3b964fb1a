using System.Net;
using CrmToolkit.Data.Schema;
using CrmToolkit.Tests.Api;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Npgsql;

namespace CrmToolkit.Tests.Citus;

/// <summary>
/// The API on a coordinator and two workers: the migration distributes the schema, workspaces land on both workers,
/// and isolation, invitations and contacts work across them as on one server.
/// </summary>
[Collection(CitusCollection.Name)]
[Trait("Category", "Citus")]
public sealed class CitusApiTests(CitusAppFixture cluster) : IDisposable
{
    private ApiClient? _api;

    private ApiClient Client => _api ??= cluster.NewClient();

    public void Dispose() => _api?.Dispose();

    [CitusFact]
    public async Task EveryWorkspaceTableIsDistributedByWorkspaceCoLocatedAndHasShardsOnBothWorkers()
    {
        await cluster.WaitForApiAsync();

        var tables = await cluster.Database.ListAsync("""
            SELECT logicalrelid::text || ' ' || partmethod::text || ' ' || (colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'workspaces'::regclass))
              FROM pg_dist_partition ORDER BY 1
            """);
        Assert.Equal(
            ["contacts h true", "email_tokens n false", "idempotency_keys h true", "invitations h true", "member_sign_ins h true",
             "sessions h true", "users n false", "workspace_members h true", "workspaces h true"],
            tables);

        var workers = await cluster.Database.ListAsync("SELECT node_port::text FROM citus_get_active_worker_nodes() ORDER BY 1");
        var shardNodes = await cluster.Database.ListAsync(
            "SELECT DISTINCT nodeport::text FROM citus_shards WHERE table_name = 'contacts'::regclass ORDER BY 1");
        Assert.Equal(CitusAppFixture.WorkerCount, workers.Count);
        Assert.Equal(workers, shardNodes);
    }

    [CitusFact]
    public async Task APackageTableIsDistributedByTheCallThatIsolatesIt()
    {
        await cluster.WaitForApiAsync();
        var model = new ModelBuilder();
        model.Entity("Deal", deal =>
        {
            deal.Property<string>("WorkspaceId");
            deal.HasNoKey();
            deal.ToTable("citus_probe_deals");
            deal.HasAnnotation(WorkspaceRowLevelSecurity.Annotation, true);
        });
        var migration = new MigrationBuilder("Npgsql.EntityFrameworkCore.PostgreSQL");
        migration.ApplyWorkspaceIsolation(model.FinalizeModel());

        var isolate = string.Join('\n', migration.Operations.OfType<SqlOperation>().Select(o => o.Sql));
        try
        {
            // As a package's migration runs: the table created and isolated in one transaction. Then once more, as a later
            // migration's call meets a table already distributed.
            await cluster.Database.ExecuteAsync($"""
                CREATE TABLE citus_probe_deals (
                    workspace_id varchar(20) NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE, id uuid NOT NULL, PRIMARY KEY (workspace_id, id));
                {isolate}
                """);
            await cluster.Database.ExecuteAsync(isolate);

            Assert.Equal(["h true"], await cluster.Database.ListAsync("""
                SELECT partmethod::text || ' ' || (colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'workspaces'::regclass))
                  FROM pg_dist_partition WHERE logicalrelid = 'citus_probe_deals'::regclass
                """));
            Assert.Equal(["workspace_isolation"], await cluster.Database.ListAsync("SELECT policyname FROM pg_policies WHERE tablename = 'citus_probe_deals'"));
        }
        finally
        {
            await cluster.Database.ExecuteAsync("DROP TABLE IF EXISTS citus_probe_deals");
        }
    }

    [CitusFact]
    public async Task WorkspacesOfDifferentUsersLandOnBothWorkersAndEachSeesOnlyItsOwnContacts()
    {
        await cluster.WaitForApiAsync();

        var (first, second) = await TwoOwnersOnDifferentWorkersAsync();
        foreach (var owner in new[] { first, second })
        {
            foreach (var name in new[] { "Ada", "Grace", "Alan" })
            {
                await (await Client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/contacts", new { firstName = $"{name} {owner.UserId}" }, owner.Token))
                    .ReadJsonAsync(HttpStatusCode.Created);
            }
        }

        var page = await (await Client.GetAsync($"/api/workspaces/{first.WorkspaceId}/contacts?limit=2", first.Token)).ReadJsonAsync(HttpStatusCode.OK);
        var next = page.GetProperty("next").GetString();
        var rest = await (await Client.GetAsync($"/api/workspaces/{first.WorkspaceId}/contacts?limit=2&after={Uri.EscapeDataString(next!)}", first.Token))
            .ReadJsonAsync(HttpStatusCode.OK);
        var names = page.GetProperty("items").EnumerateArray().Concat(rest.GetProperty("items").EnumerateArray())
            .Select(c => c.GetProperty("firstName").GetString()!)
            .ToList();
        Assert.Equal(3, names.Count);
        Assert.All(names, n => Assert.EndsWith(first.UserId.ToString(), n, StringComparison.Ordinal));

        await (await Client.GetAsync($"/api/workspaces/{first.WorkspaceId}/contacts", second.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await Client.GetAsync($"/api/workspaces/{first.WorkspaceId}/members", second.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [CitusFact]
    public async Task RowLevelSecurityHoldsOnTheShardsForTheApplicationRole()
    {
        await cluster.WaitForApiAsync();
        var (first, second) = await TwoOwnersOnDifferentWorkersAsync();
        await (await Client.PostAsync($"/api/workspaces/{first.WorkspaceId}/contacts", new { firstName = "Shard" }, first.Token)).ReadJsonAsync(HttpStatusCode.Created);

        await using var app = NpgsqlDataSource.Create(cluster.AppConnectionString);
        await using var connection = await app.OpenConnectionAsync();

        // set_config never reaches the workers: the shards see no workspace and so no row.
        Assert.Equal(0L, await CountContactsAsync(connection, $"SELECT set_config('crm.workspace_id', '{first.WorkspaceId}', true)"));
        // SET LOCAL, as the API sends it (its connections set citus.propagate_set_commands), does: the workspace's own
        // rows, and none of another's.
        Assert.Equal(1L, await CountContactsAsync(connection, $"SET LOCAL crm.workspace_id = '{first.WorkspaceId}'"));
        Assert.Equal(0L, await CountContactsAsync(connection, $"SET LOCAL crm.workspace_id = '{second.WorkspaceId}'"));
    }

    [CitusFact]
    public async Task AnInvitationAcrossWorkersIsListedAcceptedAndShowsBothMembersNames()
    {
        await cluster.WaitForApiAsync();
        var (owner, invitee) = await TwoOwnersOnDifferentWorkersAsync();

        var invitation = await Client.InviteAsync(owner, invitee.Email, "member");
        var mine = await (await Client.GetAsync("/api/me/invitations", invitee.Token)).ReadJsonAsync(HttpStatusCode.OK);
        var listed = Assert.Single(mine.EnumerateArray());
        Assert.Equal(invitation, listed.GetProperty("id").GetGuid());
        Assert.Equal(owner.UserId, listed.GetProperty("invitedBy").GetProperty("userId").GetGuid());

        var token = await Client.AcceptAsync(await Client.LoginAsync(invitee), invitation);

        var workspaces = await (await Client.GetAsync("/api/me/workspaces", token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(
            new[] { owner.WorkspaceId, invitee.WorkspaceId }.Order(),
            workspaces.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("workspace").GetProperty("id").GetString()!).Order());
        var members = await (await Client.GetAsync($"/api/workspaces/{owner.WorkspaceId}/members", token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(
            new[] { owner.Email, invitee.Email }.Order(),
            members.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("email").GetString()!).Order());
    }

    // Registers owners until two of their workspaces live on different workers (a workspace's shard is its id's hash).
    private async Task<(Account First, Account Second)> TwoOwnersOnDifferentWorkersAsync()
    {
        var byWorker = new Dictionary<string, Account>();
        for (var attempt = 0; attempt < 20 && byWorker.Count < 2; attempt++)
        {
            var owner = await Client.RegisterAsync();
            var worker = (await cluster.Database.ListAsync(
                "SELECT nodeport::text FROM citus_shards WHERE shardid = get_shard_id_for_distribution_column('workspaces', $1)", owner.WorkspaceId)).Single();
            byWorker.TryAdd(worker, owner);
        }

        Assert.True(byWorker.Count == 2, "20 workspaces all landed on one worker");
        return (byWorker.Values.First(), byWorker.Values.Last());
    }

    private static async Task<long> CountContactsAsync(NpgsqlConnection connection, string settings)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand($"SET LOCAL citus.propagate_set_commands = 'local'; {settings}", connection, transaction))
        {
            await set.ExecuteNonQueryAsync();
        }

        await using var count = new NpgsqlCommand("SELECT count(*) FROM contacts", connection, transaction);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}

/// <summary>The isolation matrix, every workspace route against every kind of caller, on the Citus cluster.</summary>
[Collection(CitusCollection.Name)]
[Trait("Category", "Citus")]
public sealed class CitusIsolationMatrixTests(CitusAppFixture cluster) : IsolationMatrix(cluster)
{
    [CitusFact]
    public async Task NoCallerReachesAnotherWorkspaceThroughAnyRoute()
    {
        await cluster.WaitForApiAsync();
        await NoCallerReachesAnotherWorkspaceThroughAnyRouteAsync();
    }
}
