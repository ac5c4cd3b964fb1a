using System.Net;
using System.Text.RegularExpressions;
using CrmToolkit.Data.Schema;
using CrmToolkit.MigrationWorker.Migrations;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace CrmToolkit.Tests.Data;

/// <summary>
/// Ready to shard by workspace (Citus): keys and constraints of workspace tables lead with or include
/// <c>workspace_id</c>, and every statement the API sends to a workspace table names it.
/// </summary>
[Collection(AppCollection.Name)]
public sealed partial class ShardReadyTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    private Task<List<string>> WorkspaceTablesAsync() => app.Database.ListAsync(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'workspace_id' ORDER BY 1");

    [Fact]
    public async Task KeysUniqueConstraintsAndWorkspaceForeignKeysIncludeWorkspaceId()
    {
        var problems = await app.Database.ListAsync("""
            WITH t AS (
                SELECT c.oid, c.relname FROM pg_class c
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'workspace_id' AND NOT a.attisdropped
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'),
            ws AS (SELECT a.attrelid, a.attnum FROM pg_attribute a JOIN t ON t.oid = a.attrelid WHERE a.attname = 'workspace_id')
            SELECT t.relname || ': unique index ' || i.indexrelid::regclass || ' lacks workspace_id'
              FROM t JOIN pg_index i ON i.indrelid = t.oid AND (i.indisunique OR i.indisprimary)
             WHERE NOT EXISTS (SELECT 1 FROM ws WHERE ws.attrelid = t.oid AND ws.attnum = ANY (i.indkey::int2[]))
            UNION ALL
            SELECT t.relname || ': foreign key ' || f.conname || ' to workspace table ' || f.confrelid::regclass || ' lacks workspace_id'
              FROM t JOIN pg_constraint f ON f.conrelid = t.oid AND f.contype = 'f'
             WHERE f.confrelid IN (SELECT oid FROM t)
               AND NOT EXISTS (SELECT 1 FROM ws WHERE ws.attrelid = t.oid AND ws.attnum = ANY (f.conkey))
            ORDER BY 1
            """);
        Assert.Empty(problems);

        // And the primary key leads with it, for every workspace table.
        var keys = await app.Database.ListAsync("""
            SELECT c.conrelid::regclass || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c
             WHERE c.contype = 'p' AND c.conrelid::regclass::text = ANY ($1) ORDER BY 1
            """, (object)(await WorkspaceTablesAsync()).ToArray());
        Assert.Equal(
            ["contacts PRIMARY KEY (workspace_id, id)", "idempotency_keys PRIMARY KEY (workspace_id, id)", "invitations PRIMARY KEY (workspace_id, id)",
             "member_sign_ins PRIMARY KEY (workspace_id, user_id)",
             "sessions PRIMARY KEY (workspace_id, id)", "workspace_members PRIMARY KEY (workspace_id, id)"],
            keys);
    }

    [Fact]
    public async Task EveryStatementTheApiSendsToAWorkspaceTableNamesWorkspaceId()
    {
        var tables = await WorkspaceTablesAsync();
        await app.Database.ExecuteAsync("SELECT pg_stat_statements_reset()");

        await DriveEveryWorkspaceRouteAsync();

        var statements = await app.Database.ListAsync("""
            SELECT query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
             WHERE r.rolname = $1
            """, new Npgsql.NpgsqlConnectionStringBuilder(app.AppConnectionString).Username!);
        var onWorkspaceTables = statements
            .Where(q => tables.Any(t => Regex.IsMatch(q, $@"\b(FROM|JOIN|INTO|UPDATE)\s+""?{t}""?\b", RegexOptions.IgnoreCase)))
            .ToList();

        Assert.True(onWorkspaceTables.Count >= 10, $"Only {onWorkspaceTables.Count} statements on workspace tables were seen: {string.Join("\n", statements)}");
        var missing = onWorkspaceTables.Where(q => !NamesWorkspaceId(q)).ToList();
        Assert.True(missing.Count == 0, "Statements without a workspace_id predicate:\n" + string.Join("\n---\n", missing));
    }

    // An INSERT lists the column; anything else has it in its WHERE clause.
    private static bool NamesWorkspaceId(string statement) =>
        Regex.IsMatch(statement, @"^\s*INSERT\b", RegexOptions.IgnoreCase)
            ? statement.Contains("workspace_id", StringComparison.Ordinal)
            : Regex.IsMatch(statement, @"\bWHERE\b[\s\S]*\bworkspace_id\b", RegexOptions.IgnoreCase);

    [Fact]
    public async Task AnAuthenticatedRequestIsOneDatabaseRoundTrip()
    {
        var user = await _client.RegisterAsync();
        await app.Database.ExecuteAsync("SELECT pg_stat_statements_reset()");

        for (var i = 0; i < 10; i++)
        {
            await (await _client.GetAsync("/api/me", user.Token)).ReadJsonAsync(HttpStatusCode.OK);
        }

        // Top-level statements only (not those inside crm_session), and not the session reset that Npgsql
        // prepends to the next statement of a reused connection (it travels in that statement's round trip).
        var calls = (await app.Database.ListAsync("""
            SELECT sum(calls) || ' ' || query FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
             WHERE r.rolname = $1 AND s.toplevel
               AND query !~* '^\s*(SET SESSION|RESET|CLOSE|UNLISTEN|DISCARD|SELECT pg_advisory_unlock_all)'
             GROUP BY query
            """, new Npgsql.NpgsqlConnectionStringBuilder(app.AppConnectionString).Username!))
            .Select(line => line.Split(' ', 2))
            .Select(parts => (Calls: long.Parse(parts[0]), Query: parts[1]))
            .ToList();
        var report = string.Join("\n", calls.Select(c => $"{c.Calls} x {c.Query}"));

        var sessionLookups = calls.Where(c => c.Query.Contains("crm_session", StringComparison.Ordinal)).ToList();
        Assert.Single(sessionLookups);
        Assert.Equal(10, sessionLookups[0].Calls);

        // Anything else is the background jobs' statements (the purge every 2 s in tests, the mail sender's poll every
        // 500 ms) and their transactions, never a statement or a transaction per request: each background transaction
        // holds at least one background statement (the snapshot may cut one in two), so ten more would show.
        var background = calls.Where(c => IsBackgroundJobs(c.Query)).Sum(c => c.Calls);
        var transactions = calls.Where(c => Regex.IsMatch(c.Query, @"^\s*BEGIN\b", RegexOptions.IgnoreCase)).Sum(c => c.Calls);
        Assert.True(transactions <= background + 1, report);
        Assert.True(calls.All(c => c == sessionLookups[0] || IsBackgroundJobs(c.Query) || Regex.IsMatch(c.Query, @"^\s*(BEGIN|COMMIT)\b", RegexOptions.IgnoreCase)), report);
    }

    private static bool IsBackgroundJobs(string query) =>
        query.Contains("pg_try_advisory_lock", StringComparison.Ordinal) || query.Contains("pg_advisory_unlock", StringComparison.Ordinal)
        || query.Contains("crm_purge", StringComparison.Ordinal)
        || PurgedTables.Any(t => query.Contains(t, StringComparison.Ordinal));

    // What the purge job (and the mail sender's poll) read and delete on their own schedule, whatever the requests.
    private static readonly string[] PurgedTables = ["email_tokens", "password_reset_requests", "mail_outbox"];

    [Fact]
    public void TheCitusMigrationDistributesEveryWorkspaceTableOfItsModelByWorkspaceAndOnlyWhereCitusIsInstalled()
    {
        var migration = new RunsOnCitus();
        var workspaceTables = migration.TargetModel!.GetEntityTypes()
            .Where(e => e.FindAnnotation(WorkspaceRowLevelSecurity.Annotation)?.Value is true)
            .Select(e => e.GetTableName()!)
            .ToList();

        var sql = migration.UpOperations.OfType<SqlOperation>().Select(o => o.Sql).Single(s => s.Contains("create_distributed_table", StringComparison.Ordinal));

        Assert.Contains("IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN", sql);
        Assert.Contains("create_reference_table('users')", sql);
        Assert.Contains("create_distributed_table('workspaces', 'id')", sql);
        Assert.NotEmpty(workspaceTables);
        Assert.All(workspaceTables, t => Assert.Contains($"'{t}'", sql));
        Assert.Contains("create_distributed_table(workspace_table, 'workspace_id', colocate_with => 'workspaces')", sql);
        // Reference tables come before the tables whose foreign keys point at them.
        Assert.True(sql.IndexOf("create_reference_table('users')", StringComparison.Ordinal) < sql.IndexOf("create_distributed_table('workspaces'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutCitusTheDistributionMigrationRanAndChangedNothing()
    {
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM pg_extension WHERE extname = 'citus'"));
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("""SELECT count(*) FROM "__EFMigrationsHistory" WHERE "MigrationId" LIKE '%_RunsOnCitus'"""));
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM pg_policies WHERE tablename = 'users' AND policyname = 'workspace_member_users'"));
    }

    private async Task DriveEveryWorkspaceRouteAsync()
    {
        var owner = await _client.RegisterAsync();
        var other = await _client.RegisterAsync();
        var memberToken = await _client.AddMemberAsync(owner, other, "member");
        var ws = $"/api/workspaces/{owner.WorkspaceId}";

        await (await _client.GetAsync("/api/me", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.GetAsync("/api/me/workspaces", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.GetAsync(ws, owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.PatchAsync(ws, new { description = "shard me" }, owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.GetAsync($"{ws}/members?limit=1", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.PatchAsync($"{ws}/members/{other.UserId}", new { role = "admin" }, owner.Token)).ReadJsonAsync(HttpStatusCode.OK);

        var contact = await (await _client.PostAsync($"{ws}/contacts", new { firstName = "Shard", lastName = "Ready" }, memberToken)).ReadJsonAsync(HttpStatusCode.Created);
        var contactPath = $"{ws}/contacts/{contact.GetProperty("id").GetGuid()}";
        await (await _client.GetAsync($"{ws}/contacts?q=sha&limit=5", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        var page = await (await _client.GetAsync($"{ws}/contacts?limit=1", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.GetAsync(contactPath, owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.PatchAsync(contactPath, new { company = "Citus" }, owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.DeleteAsync(contactPath, owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);
        _ = page;

        var switched = await (await _client.PostAsync("/api/auth/switch", new { workspaceId = other.WorkspaceId }, memberToken)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.DeleteAsync($"{ws}/members/{other.UserId}", owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);
        await (await _client.PostAsync("/api/auth/logout", null, switched.GetProperty("session").GetProperty("token").GetString())).ReadJsonAsync(HttpStatusCode.NoContent);
        await (await _client.PostAsync("/api/workspaces", new { name = "Another" }, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        await (await _client.DeleteAsync(ws, owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);
    }
}
