using CrmToolkit.Contacts;
using CrmToolkit.Data;
using CrmToolkit.MigrationWorker;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrmToolkit.Tests.Data;

/// <summary>
/// PostgreSQL itself refuses cross-workspace access for the application role (the API's login), whatever
/// SQL it is sent: raw SQL here, with and without <c>crm.workspace_id</c> set.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class RowLevelSecurityTests(AppFixture app) : IAsyncLifetime
{
    private NpgsqlDataSource _appRole = null!;

    public Task InitializeAsync()
    {
        _appRole = NpgsqlDataSource.Create(app.AppConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _appRole.DisposeAsync();

    /// <summary>Two workspaces, each with an owner, a session and a contact; returns their ids.</summary>
    private async Task<(string A, string B, Guid UserA, Guid UserB)> TwoWorkspacesAsync()
    {
        var ids = new List<(string, Guid)>();
        for (var i = 0; i < 2; i++)
        {
            var user = await app.Database.InsertUserAsync();
            var workspace = await app.Database.InsertWorkspaceAsync(user);
            await app.Database.ExecuteAsync("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner')", workspace, user);
            await app.Database.ExecuteAsync("INSERT INTO sessions (id, user_id, workspace_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')",
                Guid.NewGuid().ToString("N"), user, workspace);
            await app.Database.ExecuteAsync("INSERT INTO contacts (workspace_id, first_name, created_by) VALUES ($1, 'Someone', $2)", workspace, user);
            await app.Database.ExecuteAsync("INSERT INTO invitations (workspace_id, email, role, invited_by, expires_at) VALUES ($1, 'invitee@example.com', 'member', $2, now() + interval '1 day')", workspace, user);
            await app.Database.ExecuteAsync("INSERT INTO idempotency_keys (workspace_id, id, user_id, key, route, request_hash, status_code) VALUES ($1, gen_random_uuid(), $2, 'k', 'POST /x', 'h', 201)", workspace, user);
            ids.Add((workspace, user));
        }

        return (ids[0].Item1, ids[1].Item1, ids[0].Item2, ids[1].Item2);
    }

    private static async Task<T> InWorkspaceAsync<T>(NpgsqlDataSource db, string? workspaceId, Func<NpgsqlConnection, Task<T>> action)
    {
        await using var connection = await db.OpenConnectionAsync();
        if (workspaceId is not null)
        {
            await SetAsync(connection, "crm.workspace_id", workspaceId);
        }

        return await action(connection);
    }

    // For the connection's session, as a pooled connection keeps it until its reset.
    private static async Task SetAsync(NpgsqlConnection connection, string setting, string value)
    {
        await using var set = new NpgsqlCommand("SELECT set_config($1, $2, false)", connection) { Parameters = { new() { Value = setting }, new() { Value = value } } };
        await set.ExecuteNonQueryAsync();
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, string sql, params object[] args)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg });
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private static async Task<string> FailsAsync(NpgsqlConnection connection, string sql, params object[] args)
    {
        var ex = await Assert.ThrowsAsync<PostgresException>(() => CountAsync(connection, sql, args));
        return ex.SqlState;
    }

    private async Task<List<string>> WorkspaceTablesAsync() =>
        await app.Database.ListAsync("SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'workspace_id' ORDER BY 1");

    [Fact]
    public async Task TheApplicationRoleIsNoOwnerNoSuperuserAndCannotBypassRowSecurity()
    {
        var role = new NpgsqlConnectionStringBuilder(app.AppConnectionString).Username!;

        var attributes = await app.Database.ListAsync("SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = $1", role);
        Assert.Equal(["False | False | False | False | True"], attributes);
        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1", role));
        Assert.NotEqual(role, new NpgsqlConnectionStringBuilder(app.ConnectionString).Username);
    }

    [Fact]
    public async Task WithNoWorkspaceSetEveryWorkspaceTableIsEmptyAndRefusesInserts()
    {
        var (a, _, userA, _) = await TwoWorkspacesAsync();
        var tables = await WorkspaceTablesAsync();
        Assert.Equal(["contacts", "idempotency_keys", "invitations", "member_sign_ins", "sessions", "workspace_members"], tables); // a new table must join the inserts below

        await InWorkspaceAsync(_appRole, null, async connection =>
        {
            foreach (var table in tables)
            {
                Assert.Equal(0L, await CountAsync(connection, $"SELECT count(*) FROM {table}"));
            }

            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection,
                "INSERT INTO contacts (workspace_id, first_name) VALUES ($1, 'x')", a));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection,
                "INSERT INTO sessions (id, user_id, workspace_id, expires_at) VALUES ($1, $2, $3, now())", Guid.NewGuid().ToString("N"), userA, a));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection,
                "INSERT INTO workspace_members (workspace_id, user_id) VALUES ($1, $2)", a, await app.Database.InsertUserAsync()));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection,
                "INSERT INTO invitations (workspace_id, email, role, invited_by, expires_at) VALUES ($1, 'x@example.com', 'owner', $2, now())", a, userA));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection,
                "INSERT INTO member_sign_ins (workspace_id, user_id) VALUES ($1, $2)", a, userA));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection,
                "INSERT INTO idempotency_keys (workspace_id, id, user_id, key, route, request_hash, status_code) VALUES ($1, gen_random_uuid(), $2, 'k2', 'POST /x', 'h', 201)", a, userA));
            return 0;
        });
    }

    [Fact]
    public async Task WithWorkspaceASetOnlyAsRowsAreVisibleAndBsCannotBeWritten()
    {
        var (a, b, _, userB) = await TwoWorkspacesAsync();

        await InWorkspaceAsync(_appRole, a, async connection =>
        {
            foreach (var table in await WorkspaceTablesAsync())
            {
                Assert.NotEqual(0L, await CountAsync(connection, $"SELECT count(*) FROM {table} WHERE workspace_id = $1", a));
                Assert.Equal(0L, await CountAsync(connection, $"SELECT count(*) FROM {table} WHERE workspace_id <> $1", a));
            }

            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection,
                "INSERT INTO contacts (workspace_id, first_name) VALUES ($1, 'x')", b));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection,
                "UPDATE contacts SET workspace_id = $2 WHERE workspace_id = $1", a, b));
            // B's rows are invisible, so an update or delete of them touches nothing.
            Assert.Equal(0L, await CountAsync(connection, "WITH u AS (UPDATE contacts SET first_name = 'taken' WHERE workspace_id = $1 RETURNING 1) SELECT count(*) FROM u", b));
            Assert.Equal(0L, await CountAsync(connection, "WITH d AS (DELETE FROM sessions WHERE user_id = $1 RETURNING 1) SELECT count(*) FROM d", userB));
            return 0;
        });

        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE user_id = $1", userB));
        Assert.Equal("Someone", await app.Database.ScalarAsync<string>("SELECT first_name FROM contacts WHERE workspace_id = $1", b));
    }

    [Fact]
    public async Task TheWorkspaceRowItselfIsVisibleAndWritableOnlyInItsOwnWorkspace()
    {
        var (a, b, userA, _) = await TwoWorkspacesAsync();

        await InWorkspaceAsync(_appRole, null, async connection =>
        {
            Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM workspaces"));
            return 0;
        });
        await InWorkspaceAsync(_appRole, a, async connection =>
        {
            Assert.Equal(1L, await CountAsync(connection, "SELECT count(*) FROM workspaces"));
            Assert.Equal(1L, await CountAsync(connection, "SELECT count(*) FROM workspaces WHERE id = $1", a));
            Assert.Equal(0L, await CountAsync(connection, "WITH d AS (DELETE FROM workspaces WHERE id = $1 RETURNING 1) SELECT count(*) FROM d", b));
            Assert.Equal(0L, await CountAsync(connection, "WITH u AS (UPDATE workspaces SET name = 'taken' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", b));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection,
                "INSERT INTO workspaces (id, name, created_by) VALUES ('planted1234567', 'x', $1)", userA));
            return 0;
        });

        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM contacts WHERE workspace_id = $1", b));
        Assert.Equal("Test workspace", await app.Database.ScalarAsync<string>("SELECT name FROM workspaces WHERE id = $1", b));
    }

    [Fact]
    public async Task TheWorkspaceSettingNeverOutlivesALeaseOfAPooledConnection()
    {
        var (a, _, _, _) = await TwoWorkspacesAsync();
        // One physical connection, reused for every lease; prepared statements on it (the API auto-prepares).
        var builder = new NpgsqlDataSourceBuilder(app.AppConnectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = 1;
        builder.ConnectionStringBuilder.MaxAutoPrepare = 10;
        builder.ConnectionStringBuilder.AutoPrepareMinUsages = 1;
        await using var pooled = builder.Build();

        for (var lease = 0; lease < 20; lease++)
        {
            var seenAtStart = await InWorkspaceAsync(pooled, null, async connection =>
            {
                var visible = await CountAsync(connection, "SELECT count(*) FROM contacts");
                await SetAsync(connection, "crm.workspace_id", a);
                Assert.NotEqual(0L, await CountAsync(connection, "SELECT count(*) FROM contacts"));
                return visible;
            });

            Assert.Equal(0L, seenAtStart);
        }
    }

    [Fact]
    public async Task TheEfContextSendsItsWorkspaceWithEveryCommand()
    {
        var (a, b, _, _) = await TwoWorkspacesAsync();
        var factory = Contexts(app.AppConnectionString);

        await using var db = factory.CreateDbContext(WorkspaceId.Parse(a));
        // Even with the EF filter lifted, the database shows only workspace A.
        var workspaces = await db.Set<Contact>().IgnoreQueryFilters().Select(c => c.WorkspaceId).Distinct().ToListAsync();
        Assert.Equal([WorkspaceId.Parse(a)], workspaces);
        Assert.DoesNotContain(WorkspaceId.Parse(b), workspaces);
    }

    [Fact]
    public async Task ACommandThatFailsInsideItsOwnBeginLeavesNoOpenTransactionInThePool()
    {
        // What the Citus interceptor relies on: BEGIN; ...; COMMIT in one batch that fails half-way leaves the block
        // aborted, and Npgsql rolls it back when the connection returns to its pool (one connection here, so the next
        // lease is the same one).
        var single = new NpgsqlConnectionStringBuilder(app.AppConnectionString) { MaxPoolSize = 1 };
        await using var pool = NpgsqlDataSource.Create(single.ConnectionString);
        await using (var connection = await pool.OpenConnectionAsync())
        {
            await using var failing = new NpgsqlCommand("BEGIN; SET LOCAL crm.workspace_id = 'x'; SELECT 1 / 0; COMMIT;", connection);
            await Assert.ThrowsAsync<PostgresException>(() => failing.ExecuteNonQueryAsync());
        }

        await using (var connection = await pool.OpenConnectionAsync())
        {
            // In the aborted block this would fail (25P02), and the setting would still be 'x'.
            Assert.Equal(0L, await CountAsync(connection, "SELECT coalesce(length(current_setting('crm.workspace_id', true)), 0)"));
        }
    }

    [Fact]
    public async Task TheCrossWorkspaceFunctionsServeTheApplicationRole()
    {
        var (a, _, userA, _) = await TwoWorkspacesAsync();
        var sessionId = await app.Database.ScalarAsync<string>("SELECT id FROM sessions WHERE user_id = $1", userA);

        await InWorkspaceAsync(_appRole, null, async connection =>
        {
            Assert.Equal(1L, await CountAsync(connection, "SELECT count(*) FROM crm_session($1, $2)", a, sessionId));
            Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM crm_session($1, $2)", a, "no-such-session"));
            Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM crm_session($1, $2)", "otherWorkspace1", sessionId));
            Assert.Equal(1L, await CountAsync(connection, "SELECT count(*) FROM crm_my_workspaces($1, $2) WHERE workspace_id = $1", a, sessionId));
            Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM crm_my_workspaces($1, $2)", a, "no-such-session"));
            Assert.Equal(0L, await CountAsync(connection, "SELECT crm_end_session($1, $2)", "otherWorkspace1", sessionId));
            // It runs as the caller: only the session's own user ends it, from whichever workspace.
            Assert.Equal(0L, await CountAsync(connection, "SELECT crm_end_session($1, $2)", a, sessionId));
            await SetAsync(connection, "crm.user_id", Guid.NewGuid().ToString());
            Assert.Equal(0L, await CountAsync(connection, "SELECT crm_end_session($1, $2)", a, sessionId));
            await SetAsync(connection, "crm.user_id", userA.ToString());
            Assert.Equal(1L, await CountAsync(connection, "SELECT crm_end_session($1, $2)", a, sessionId));
            Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM crm_session($1, $2)", a, sessionId));
            return 0;
        });
    }

    [Fact]
    public async Task TheCrossWorkspaceQueriesRunThroughEfCoreWithoutAWarning()
    {
        var (a, _, userA, _) = await TwoWorkspacesAsync();
        var sessionId = await app.Database.ScalarAsync<string>("SELECT id FROM sessions WHERE user_id = $1", userA);
        var email = await app.Database.ScalarAsync<string>("SELECT email FROM users WHERE id = $1", userA);
        // Every EF Core warning is an error here (Contexts), so a query EF Core finds suspicious fails this test
        // instead of writing a warning into every fresh API process's log.
        await using var db = Contexts(app.AppConnectionString).CreateDbContext();

        var session = await CrossWorkspace.FindSessionAsync(db, WorkspaceId.Parse(a), sessionId, default);
        Assert.NotNull(session);
        Assert.Equal(userA, (await CrossWorkspace.FindLoginUserAsync(db, email, default))?.UserId);
        Assert.Equal(WorkspaceId.Parse(a), (await CrossWorkspace.LoginWorkspaceAsync(db, userA, null, default))?.WorkspaceId);
        var page = await CrossWorkspace.MyWorkspacesPageAsync(db, session, after: null, take: 2, default);
        Assert.Equal(WorkspaceId.Parse(a), Assert.Single(page).WorkspaceId);
        Assert.Empty(await CrossWorkspace.MyWorkspacesPageAsync(db, session, (page[0].JoinedAt, page[0].WorkspaceId), take: 2, default));
        Assert.Equal(WorkspaceId.Parse(a), (await CrossWorkspace.MyMembershipAsync(db, session, WorkspaceId.Parse(a), default))?.WorkspaceId);
        Assert.Empty(await CrossWorkspace.MyInvitations(db, session).ToListAsync()); // invited: another email
    }

    [Fact]
    public async Task TheFailedLoginCounterIsReachableOnlyThroughItsFunctions()
    {
        var email = $"rls-{Guid.NewGuid():N}@example.com";
        await app.Database.ExecuteAsync("INSERT INTO login_failures (account_key, client_address) VALUES (crm_login_failure_key($1), '127.0.0.9')", email);

        await InWorkspaceAsync(_appRole, null, async connection =>
        {
            Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM login_failures"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection, "INSERT INTO login_failures (account_key, client_address) VALUES ('x', 'y')"));
            // What the API does: an attempt through the function, counted with the row above (a limit of 1 is spent).
            Assert.Equal(1L, await CountAsync(connection,
                "SELECT count(*) FROM crm_begin_login_attempt($1, '127.0.0.9', now(), interval '15 minutes', 1, 100) WHERE retry_after > interval '0'", email));
            Assert.Equal(1L, await CountAsync(connection,
                "SELECT count(*) FROM crm_begin_login_attempt($1, '127.0.0.10', now(), interval '15 minutes', 1, 100) WHERE retry_after IS NULL", email));
            return 0;
        });
    }

    [Fact]
    public async Task TheFunctionsARequestCallsKeepTheirPlansForTheConnection()
    {
        // PostgreSQL plans a LANGUAGE sql function that it cannot inline (SECURITY DEFINER, SET search_path) on
        // every call; PL/pgSQL caches the plan per connection. On the bench's large set that is 5 times the
        // session lookups a second (migration CachedFunctionPlans).
        var languages = await app.Database.ListAsync("""
            SELECT p.proname || ' ' || l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
             WHERE p.proname IN ('crm_session', 'crm_my_workspaces', 'crm_end_session') ORDER BY 1
            """);
        Assert.Equal(["crm_end_session plpgsql", "crm_my_workspaces plpgsql", "crm_session plpgsql"], languages);
    }

    [Fact]
    public async Task ContactPagesAndSearchesAreServedByTheWorkspaceIndex()
    {
        // A few thousand contacts over 40 workspaces.
        var owner = await app.Database.InsertUserAsync();
        var workspaces = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            workspaces.Add(await app.Database.InsertWorkspaceAsync(owner));
        }

        await app.Database.ExecuteAsync("""
            INSERT INTO contacts (workspace_id, first_name, last_name, email, company)
            SELECT w, 'First' || n, CASE WHEN n % 10 = 0 THEN NULL ELSE 'Last' || n END, 'c' || n || '@example.com', 'Company ' || (n % 7)
              FROM unnest($1::text[]) AS w, generate_series(1, 100) AS n
            """, (object)workspaces.ToArray());
        await app.Database.ExecuteAsync("ANALYZE contacts");

        var workspace = WorkspaceId.Parse(workspaces[7]);
        var factory = Contexts(app.AppConnectionString);

        var cursor = new ContactsApi.Cursor("Last50", "First50", Guid.Empty);
        foreach (var (q, after) in new[] { ((string?)null, (ContactsApi.Cursor?)null), ("first1", null), (null, cursor) })
        {
            await using var db = factory.CreateDbContext(workspace);
            await using var command = ContactsApi.PageQuery(db, q, after, 20).CreateDbCommand();
            command.CommandText = "EXPLAIN " + command.CommandText;
            await db.Database.OpenConnectionAsync();
            var plan = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    plan.Add(reader.GetString(0));
                }
            }

            await db.Database.CloseConnectionAsync();
            var text = string.Join('\n', plan);
            Assert.DoesNotContain("Seq Scan", text);
            // Pages walk the name index; a search may start from either workspace-leading index.
            Assert.True(text.Contains(q is null ? "contacts_workspace_name_idx" : "Index", StringComparison.Ordinal), text);
        }
    }

    [Fact]
    public async Task NoPasswordHashIsSelectableAndUsersShowOnlyYourselfAndYourWorkspacesMembers()
    {
        var (a, _, userA, userB) = await TwoWorkspacesAsync();

        await InWorkspaceAsync(_appRole, null, async connection =>
        {
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection, "SELECT count(password_hash) FROM users"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await FailsAsync(connection, "SELECT count(*) FROM (SELECT * FROM users) u"));
            Assert.Equal(0L, await CountAsync(connection, "SELECT count(id) FROM users")); // nobody set: nobody visible
            return 0;
        });
        await InWorkspaceAsync(_appRole, a, async connection =>
        {
            Assert.Equal(1L, await CountAsync(connection, "SELECT count(id) FROM users")); // A's one member
            Assert.Equal(1L, await CountAsync(connection, "SELECT count(id) FROM users WHERE id = $1", userA));
            Assert.Equal(0L, await CountAsync(connection, "SELECT count(id) FROM users WHERE id = $1", userB));
            Assert.Equal(0L, await CountAsync(connection, "WITH u AS (UPDATE users SET name = 'taken' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", userB));
            return 0;
        });

        // The user setting shows the user itself, and lets it change only itself.
        await using var connection = await _appRole.OpenConnectionAsync();
        await SetAsync(connection, "crm.user_id", userB.ToString());

        Assert.Equal(1L, await CountAsync(connection, "SELECT count(id) FROM users"));
        Assert.Equal(1L, await CountAsync(connection, "SELECT count(id) FROM users WHERE id = $1", userB));
        Assert.Equal(0L, await CountAsync(connection, "WITH u AS (UPDATE users SET name = 'taken' WHERE id = $1 RETURNING 1) SELECT count(*) FROM u", userA));
        Assert.Equal("Test User", await app.Database.ScalarAsync<string>("SELECT name FROM users WHERE id = $1", userA));
    }

    [Fact]
    public async Task CrossWorkspaceFunctionsAreKeyedOnASessionAndThePurgeOnTheServersClock()
    {
        var (a, _, userA, _) = await TwoWorkspacesAsync();
        var sessionId = await app.Database.ScalarAsync<string>("SELECT id FROM sessions WHERE user_id = $1", userA);

        await InWorkspaceAsync(_appRole, null, async connection =>
        {
            // Gone: memberships of any user id, and a purge that believed its caller's clock.
            Assert.Equal(PostgresErrorCodes.UndefinedFunction, await FailsAsync(connection, "SELECT count(*) FROM crm_memberships($1)", userA));
            Assert.Equal(PostgresErrorCodes.UndefinedFunction, await FailsAsync(connection, "SELECT crm_purge_expired_sessions('infinity'::timestamptz, 1000)"));
            Assert.Equal(0L, await CountAsync(connection, "SELECT count(*) FROM crm_my_invitations($1, $2)", a, "no-such-session"));
            Assert.Equal(1L, await CountAsync(connection, "SELECT count(*) FROM crm_my_workspaces($1, $2)", a, sessionId));
            await CountAsync(connection, "SELECT crm_purge_expired_sessions(1000)");
            return 0;
        });

        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE id = $1", sessionId)); // live: kept
    }

    [Fact]
    public async Task IsolationHoldsOnAConnectionThatIsNeverReset()
    {
        var (a, _, _, _) = await TwoWorkspacesAsync();
        // One physical connection that the pool hands on as it is (as behind a transaction-pooling PgBouncer).
        var factory = Contexts(new NpgsqlConnectionStringBuilder(app.AppConnectionString) { NoResetOnClose = true, MaxPoolSize = 1 }.ConnectionString);

        for (var lease = 0; lease < 5; lease++)
        {
            await using (var bound = factory.CreateDbContext(WorkspaceId.Parse(a)))
            {
                Assert.NotEqual(0, await bound.Set<Contact>().CountAsync());
            }

            await using var unbound = factory.CreateDbContext();
            Assert.Equal(0, await unbound.Set<Contact>().IgnoreQueryFilters().CountAsync());
            Assert.Equal("", await unbound.Database.SqlQuery<string>($"SELECT coalesce(current_setting('crm.workspace_id', true), '') AS \"Value\"").SingleAsync());
        }
    }

    // Contexts as the API leases them: pooled, bound per lease, every command carrying its settings; EF Core warnings throw.
    private static WorkspaceDbContextFactory Contexts(string connectionString)
    {
        var options = CrmModel.Options(connectionString)
            .AddInterceptors(new RowLevelSecurityInterceptor(citus: false))
            .ConfigureWarnings(warnings => warnings.Default(WarningBehavior.Throw))
            .Options;
        return new WorkspaceDbContextFactory(new Microsoft.EntityFrameworkCore.Infrastructure.PooledDbContextFactory<CrmDbContext>(options, 2), new CurrentSession());
    }
}
