using Aspire.Hosting.ApplicationModel;
using CrmToolkit.Data;
using CrmToolkit.MigrationWorker;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrmToolkit.Tests.Foundation;

[Collection(AppCollection.Name)]
public sealed class MigrationTests(AppFixture app)
{
    [Fact]
    public void TheModelHasNoChangesThatNoMigrationCaptures()
    {
        // The `drizzle-kit check` of this repository: fails when an entity or configuration changed and
        // nobody ran `dotnet ef migrations add`. Needs no database.
        using var db = CreateContext("Host=unused;Database=unused");
        Assert.False(db.Database.HasPendingModelChanges(), "The model has changes: run 'dotnet ef migrations add <Name> --project CrmToolkit.MigrationWorker'.");
    }

    [Fact]
    public async Task TheMigratorFinishedWithExitCodeZeroBeforeTheApiStarted()
    {
        var migrator = app.Snapshot("migrator");
        var api = app.Snapshot("api");

        Assert.Equal(KnownResourceStates.Finished, migrator.State?.Text);
        Assert.Equal(0, migrator.ExitCode);
        Assert.NotNull(api.StartTimeStamp);
        // The orchestrator's own timestamps of the two are taken at different moments of its bookkeeping (the API's start
        // can read earlier than the migrator's recorded stop): the processes' own log lines say what ran when.
        var migratorLast = (await ResourceLog.ReplayAsync(app.App, "migrator")).Max(l => l.At);
        var apiStart = (await ResourceLog.ReplayAsync(app.App, "api")).First(l => l.Text.Contains("Starting process", StringComparison.Ordinal)).At;
        Assert.True(migratorLast <= apiStart, $"the migrator logged until {migratorLast:O}, the api process started at {apiStart:O}");

        var applied = await app.Database.ListAsync("SELECT \"MigrationId\" FROM \"__EFMigrationsHistory\" ORDER BY 1");
        using var db = CreateContext(app.ConnectionString);
        Assert.Equal(db.Database.GetMigrations(), applied);
    }

    [Fact]
    public async Task RunningTheWorkerAgainChangesNothing()
    {
        var before = await app.Database.SchemaFingerprintAsync();
        var firstRun = app.Snapshot("migrator");

        // Start the real worker process again, the way the dashboard's Start button does.
        var commands = app.App.Services.GetRequiredService<ResourceCommandService>();
        var notifications = app.App.Services.GetRequiredService<ResourceNotificationService>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var finishedAgain = notifications.WaitForResourceAsync("migrator",
            e => e.Snapshot.State?.Text == KnownResourceStates.Finished && e.Snapshot.StartTimeStamp > firstRun.StartTimeStamp,
            cts.Token);
        var result = await commands.ExecuteCommandAsync("migrator", KnownResourceCommands.StartCommand, cts.Token);
        Assert.True(result.Success, result.Message);
        var secondRun = (await finishedAgain).Snapshot;

        Assert.Equal(0, secondRun.ExitCode);
        Assert.Equal(before, await app.Database.SchemaFingerprintAsync());

        // And in-process, the same code reports that it had nothing to apply.
        await using var db = CreateContext(app.ConnectionString);
        Assert.Empty(await DatabaseMigrator.MigrateAsync(db, appRole: null, CancellationToken.None));
    }

    [Fact]
    public async Task SeveralWorkersAtOnceOnAnEmptyDatabaseEndWithOneSchema()
    {
        for (var round = 0; round < 3; round++)
        {
            var databaseName = $"crm_concurrent_{Guid.NewGuid():N}"[..30];
            var connectionString = new NpgsqlConnectionStringBuilder(app.ConnectionString) { Database = databaseName }.ConnectionString;
            try
            {
                // Four workers on a database that does not exist yet: they also race to create it.
                var workers = Enumerable.Range(0, 4).Select(async _ =>
                {
                    await using var db = CreateContext(connectionString);
                    // Grants for the application role too (no password: the running API's role stays as it is).
                    return await DatabaseMigrator.MigrateAsync(db, new ApplicationRoleOptions(), CancellationToken.None);
                });
                var applied = await Task.WhenAll(workers);

                using var model = CreateContext(connectionString);
                // Every migration was applied exactly once, by one of the workers.
                Assert.Equal(model.Database.GetMigrations().Order(), applied.SelectMany(a => a).Order());
                Assert.Single(applied, a => a.Count > 0);

                await using var fresh = NpgsqlDataSource.Create(connectionString);
                Assert.Equal(await app.Database.SchemaFingerprintAsync(), await fresh.SchemaFingerprintAsync());
            }
            finally
            {
                NpgsqlConnection.ClearAllPools();
                await app.Database.ExecuteAsync($"DROP DATABASE IF EXISTS {databaseName} WITH (FORCE)");
            }
        }
    }

    [Fact]
    public async Task TheWorkerFailsWithAClearMessageWhenItCannotMigrate()
    {
        var wrongPassword = new NpgsqlConnectionStringBuilder(app.ConnectionString) { Password = "not-the-password" }.ConnectionString;
        await using var db = CreateContext(wrongPassword);

        var ex = await Assert.ThrowsAsync<PostgresException>(() => DatabaseMigrator.MigrateAsync(db, appRole: null, CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.InvalidPassword, ex.SqlState);
    }

    [Fact]
    public async Task WithNoDatabaseTheWorkerRetriesForABoundedTimeThenExitsNonZeroWithOneClearMessage()
    {
        var closedPort = ProcessHelpers.FreePort(); // nothing listens there now

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exitCode, log) = await TestProcess.RunAsync(
            TestProcess.Dotnet(BuildOutput.Dll<Projects.CrmToolkit_MigrationWorker>(), [], new Dictionary<string, string>
            {
                ["ConnectionStrings__crm"] = $"Host=127.0.0.1;Port={closedPort};Username=postgres;Password=unused;Database=crm",
                ["Crm__Data__MaxRetryDelay"] = "00:00:00.500",
            }),
            TimeSpan.FromSeconds(90));

        Assert.Equal(1, exitCode);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)); // it retried, and it stopped
        Assert.Contains("Database migration failed:", log);
        Assert.DoesNotContain("Password=unused", log);
        Assert.DoesNotContain("   at ", log); // one line with the cause, no stack trace
    }

    [Fact]
    public async Task WithOnlyTheOwnersConnectionTheWorkerMigratesAndCreatesTheRoleWithoutLogin()
    {
        // As a deployment pipeline runs it: the owner's connection string and nothing else (a role of its own name,
        // since roles are the server's, not the database's).
        var databaseName = $"crm_pipeline_{Guid.NewGuid():N}"[..30];
        var role = $"crm_app_{Guid.NewGuid():N}"[..24];
        var connectionString = new NpgsqlConnectionStringBuilder(app.ConnectionString) { Database = databaseName }.ConnectionString;
        try
        {
            var (exitCode, log) = await TestProcess.RunAsync(
                TestProcess.Dotnet(BuildOutput.Dll<Projects.CrmToolkit_MigrationWorker>(), [], new Dictionary<string, string>
                {
                    ["ConnectionStrings__crm"] = connectionString,
                    ["Crm__AppRole__Name"] = role,
                }),
                TimeSpan.FromSeconds(90));

            Assert.True(exitCode == 0, log);
            Assert.Contains($"ALTER ROLE {role} WITH LOGIN PASSWORD", log);
            Assert.DoesNotContain("   at ", log);
            Assert.Equal(["False"], await app.Database.ListAsync("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", role));
            await using var db = NpgsqlDataSource.Create(connectionString);
            Assert.Equal(await app.Database.SchemaFingerprintAsync(), await db.SchemaFingerprintAsync());
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await app.Database.ExecuteAsync($"DROP DATABASE IF EXISTS {databaseName} WITH (FORCE)");
            await app.Database.ExecuteAsync($"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task AnOwnerThatIsNoSuperuserMigratesProvisionsTheRoleAndItsFunctionsServeTheApi()
    {
        // As on a managed server: the admin may create databases and roles, and is no superuser, without BYPASSRLS.
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var (owner, role, databaseName) = ($"crm_admin_{suffix}", $"crm_app_{suffix}", $"crm_managed_{suffix}");
        await app.Database.ExecuteAsync($"CREATE ROLE {owner} LOGIN CREATEDB CREATEROLE PASSWORD 'managed-owner'");
        var ownerConnection = new NpgsqlConnectionStringBuilder(app.ConnectionString) { Database = databaseName, Username = owner, Password = "managed-owner" };
        var appConnection = new NpgsqlConnectionStringBuilder(ownerConnection.ConnectionString) { Username = role, Password = "managed-app" };
        try
        {
            var (exitCode, log) = await TestProcess.RunAsync(
                TestProcess.Dotnet(BuildOutput.Dll<Projects.CrmToolkit_MigrationWorker>(), [], new Dictionary<string, string>
                {
                    ["ConnectionStrings__crm"] = ownerConnection.ConnectionString,
                    ["ConnectionStrings__crmapp"] = appConnection.ConnectionString,
                }),
                TimeSpan.FromSeconds(90));
            Assert.True(exitCode == 0, log);

            await using var asOwner = NpgsqlDataSource.Create(ownerConnection.ConnectionString);
            var userId = await asOwner.InsertUserAsync();
            var workspaceId = await asOwner.InsertWorkspaceAsync(userId);
            await asOwner.ExecuteAsync("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner')", workspaceId, userId);
            await asOwner.ExecuteAsync("INSERT INTO sessions (id, user_id, workspace_id, expires_at) VALUES ('managed-session', $1, $2, now() + interval '1 day')", userId, workspaceId);

            // The application role logs in with its password, and the session lookup, which runs as that owner, finds the session.
            await using var asApp = NpgsqlDataSource.Create(appConnection.ConnectionString);
            Assert.Equal(1L, await asApp.ScalarAsync<long>("SELECT count(*) FROM crm_session($1, 'managed-session')", workspaceId));
            Assert.Equal(0L, await asApp.ScalarAsync<long>("SELECT count(*) FROM sessions"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await app.Database.ExecuteAsync($"DROP DATABASE IF EXISTS {databaseName} WITH (FORCE)");
            await app.Database.ExecuteAsync($"DROP ROLE IF EXISTS {role}");
            await app.Database.ExecuteAsync($"DROP ROLE IF EXISTS {owner}");
        }
    }

    [Fact]
    public async Task ADatabaseMigratedByAnEarlierVersionIsRefusedWithOneLineAndLeftAsItIs()
    {
        // A database whose history names a migration this version does not have.
        var databaseName = $"crm_old_{Guid.NewGuid():N}"[..30];
        await app.Database.ExecuteAsync($"CREATE DATABASE {databaseName}");
        var connectionString = new NpgsqlConnectionStringBuilder(app.ConnectionString) { Database = databaseName }.ConnectionString;
        try
        {
            await using (var old = NpgsqlDataSource.Create(connectionString))
            {
                await old.ExecuteAsync("""
                    CREATE TABLE "__EFMigrationsHistory" ("MigrationId" varchar(150) PRIMARY KEY, "ProductVersion" varchar(32) NOT NULL);
                    INSERT INTO "__EFMigrationsHistory" VALUES ('20261126062953_InitialCreate', '10.0.15');
                    CREATE TABLE users (id uuid PRIMARY KEY);
                    """);
            }

            var (exitCode, log) = await TestProcess.RunAsync(
                TestProcess.Dotnet(BuildOutput.Dll<Projects.CrmToolkit_MigrationWorker>(), [], new Dictionary<string, string> { ["ConnectionStrings__crm"] = connectionString }),
                TimeSpan.FromSeconds(90));

            Assert.NotEqual(0, exitCode);
            var failure = Assert.Single(log.Split('\n'), line => line.Contains("Database migration failed:", StringComparison.Ordinal));
            Assert.Contains("20261126062953_InitialCreate", failure);
            Assert.Contains("Reset database", failure);
            Assert.DoesNotContain("   at ", log);

            await using var db = NpgsqlDataSource.Create(connectionString);
            Assert.Equal(["users"], await db.ListAsync("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '__EFMigrationsHistory'"));
            Assert.Equal(["20261126062953_InitialCreate"], await db.ListAsync("""SELECT "MigrationId" FROM "__EFMigrationsHistory" """));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await app.Database.ExecuteAsync($"DROP DATABASE IF EXISTS {databaseName} WITH (FORCE)");
        }
    }

    [Fact]
    public async Task TheSchemaRollsBackToEmptyAndForwardAgain()
    {
        // `dotnet ef database update 0`: every object the migration created goes, and applying it again gives the
        // same schema as the app's.
        var databaseName = $"crm_down_{Guid.NewGuid():N}"[..30];
        var connectionString = new NpgsqlConnectionStringBuilder(app.ConnectionString) { Database = databaseName }.ConnectionString;
        try
        {
            await using (var db = CreateContext(connectionString))
            {
                await DatabaseMigrator.MigrateAsync(db, new ApplicationRoleOptions(), CancellationToken.None);
                await db.GetService<IMigrator>().MigrateAsync(Migration.InitialDatabase);
            }

            await using var data = NpgsqlDataSource.Create(connectionString);
            Assert.Equal(["__EFMigrationsHistory"], await data.ListAsync("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"));
            Assert.Empty(await data.ListAsync("""
                SELECT p.proname FROM pg_proc p
                 WHERE p.pronamespace = 'public'::regnamespace
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
                """));

            await using (var db = CreateContext(connectionString))
            {
                await DatabaseMigrator.MigrateAsync(db, new ApplicationRoleOptions(), CancellationToken.None);
            }
            Assert.Equal(await app.Database.SchemaFingerprintAsync(), await data.SchemaFingerprintAsync());
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await app.Database.ExecuteAsync($"DROP DATABASE IF EXISTS {databaseName} WITH (FORCE)");
        }
    }

    private static CrmDbContext CreateContext(string connectionString) =>
        new(CrmModel.Options(connectionString).Options);
}
