using CrmToolkit.Data;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace CrmToolkit.Tests.Data;

/// <summary>
/// The data layer as <see cref="CrmDataExtensions.AddCrmData"/> registers it: transient failures are retried (up to
/// the limit, and only those), and a transaction begun outside the strategy is refused.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ExecutionStrategyTests(AppFixture app)
{
    // Its own application name, so that a test can find (and terminate) exactly this data layer's connections.
    private sealed class DataLayer : IDisposable
    {
        private readonly IHost host;

        public DataLayer(string connectionString)
        {
            ApplicationName = $"strategy-{Guid.NewGuid():N}";
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Configuration["ConnectionStrings:" + CrmDataExtensions.ConnectionName] =
                new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = ApplicationName }.ConnectionString;
            builder.Configuration["Crm:Data:MaxRetryDelay"] = "00:00:00.100";
            builder.AddCrmData();
            host = builder.Build();
        }

        public string ApplicationName { get; }

        public CrmDbContext Lease() => host.Services.GetRequiredService<IDbContextFactory<CrmDbContext>>().CreateDbContext();

        public void Dispose() => host.Dispose();
    }

    [Fact]
    public async Task AQueryOnAConnectionTheServerTerminatedIsRetriedOnAFreshOne()
    {
        await app.Database.InsertUserAsync();
        using var data = new DataLayer(app.ConnectionString);
        await using (var db = data.Lease())
        {
            Assert.True(await db.Users.AnyAsync()); // leaves an idle connection in the pool
        }

        var terminated = await app.Database.ScalarAsync<long>(
            "SELECT count(*) FILTER (WHERE k) FROM (SELECT pg_terminate_backend(pid) AS k FROM pg_stat_activity WHERE application_name = $1) t",
            data.ApplicationName);
        Assert.Equal(1L, terminated);

        await using (var db = data.Lease())
        {
            Assert.True(await db.Users.AnyAsync());
        }
    }

    // Each attempt counts itself in a sequence (outside any transaction, so a failed attempt's count stays) and
    // then fails with the given SQLSTATE: 40001 (serialization failure) is transient, 22012 (division by zero) is not.
    private async Task<(Exception Failure, long Attempts)> RunFailingStatementAsync(string sqlState)
    {
        var sequence = $"attempts_{Guid.NewGuid():N}";
        await app.Database.ExecuteAsync($"CREATE SEQUENCE {sequence}");
        using var data = new DataLayer(app.ConnectionString);
        await using var db = data.Lease();
        // A DO block takes no parameters; both names are the test's own. Raw SQL is retried only inside the
        // strategy (EF never repeats a statement it cannot know to be safe to repeat).
        var statement = $"DO $$ BEGIN PERFORM nextval('{sequence}'); RAISE EXCEPTION 'attempt failed' USING ERRCODE = '{sqlState}'; END $$";
        var failure = await Assert.ThrowsAnyAsync<Exception>(() =>
            db.Database.CreateExecutionStrategy().ExecuteAsync(() => db.Database.ExecuteSqlRawAsync(statement)));
        var attempts = await app.Database.ScalarAsync<long>($"SELECT last_value FROM {sequence}");
        return (failure, attempts);
    }

    [Fact]
    public async Task ATransientFailureIsRetriedUpToTheLimitThenReported()
    {
        var (failure, attempts) = await RunFailingStatementAsync("40001");

        // The first attempt and MaxRetryCount (3, the default) retries: no more, no fewer.
        Assert.Equal(1 + new CrmDataOptions().MaxRetryCount, attempts);
        var limit = Assert.IsType<RetryLimitExceededException>(failure);
        Assert.Equal("40001", Assert.IsType<PostgresException>(limit.InnerException).SqlState);
    }

    [Fact]
    public async Task APermanentFailureIsReportedAfterOneAttempt()
    {
        var (failure, attempts) = await RunFailingStatementAsync("22012");

        Assert.Equal(1L, attempts);
        Assert.Equal("22012", Assert.IsType<PostgresException>(failure).SqlState);
    }

    [Fact]
    public async Task ATransactionBegunOutsideTheStrategyIsRefusedAndOneRunThroughItCommits()
    {
        var userId = await app.Database.InsertUserAsync();
        using var data = new DataLayer(app.ConnectionString);

        await using (var db = data.Lease())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => db.Users.AnyAsync(u => u.Id == userId));
            Assert.Contains("CreateExecutionStrategy", refused.Message, StringComparison.Ordinal);
        }

        await using (var db = data.Lease())
        {
            await db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync();
                await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.Name, "Renamed in a unit of work"));
                await transaction.CommitAsync();
            });
        }

        Assert.Equal("Renamed in a unit of work", await app.Database.ScalarAsync<string>("SELECT name FROM users WHERE id = $1", userId));
    }
}
