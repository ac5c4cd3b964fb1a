using Aspire.Hosting.ApplicationModel;
using CrmToolkit.Data;
using CrmToolkit.MigrationWorker;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
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
        Assert.False(db.Database.HasPendingModelChanges(), "The model has changes: run 'dotnet ef migrations add <Name> --project CrmToolkit.Data'.");
    }

    [Fact]
    public async Task TheMigratorFinishedWithExitCodeZeroBeforeTheApiStarted()
    {
        var migrator = app.Snapshot("migrator");
        var api = app.Snapshot("api");

        Assert.Equal(KnownResourceStates.Finished, migrator.State?.Text);
        Assert.Equal(0, migrator.ExitCode);
        Assert.NotNull(migrator.StopTimeStamp);
        Assert.NotNull(api.StartTimeStamp);
        Assert.True(migrator.StopTimeStamp <= api.StartTimeStamp,
            $"migrator stopped at {migrator.StopTimeStamp:O}, api started at {api.StartTimeStamp:O}");

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
    }

    [Fact]
    public async Task ADatabaseMigratedByAnEarlierVersionIsRefusedWithOneLineAndLeftAsItIs()
    {
        // A database whose history names a migration this version does not have (as the six squashed ones).
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

    private static CrmDbContext CreateContext(string connectionString) =>
        new(new DbContextOptionsBuilder<CrmDbContext>()
            .UseNpgsql(connectionString, npgsql => npgsql.EnableRetryOnFailure())
            .Options);
}
