using CrmToolkit.Data;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace CrmToolkit.Tests.Data;

/// <summary>
/// The data layer as <see cref="CrmDataExtensions.AddCrmData"/> registers it: transient failures are retried,
/// query results are streamed rather than buffered, and a transaction begun outside the strategy is refused.
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

    [Fact]
    public async Task QueryResultsAreStreamedNotBufferedIntoMemoryFirst()
    {
        await app.Database.InsertUserAsync();
        using var data = new DataLayer(app.ConnectionString);
        await using var db = data.Lease();

        await using var users = db.Users.AsNoTracking().AsAsyncEnumerable().GetAsyncEnumerator();
        Assert.True(await users.MoveNextAsync());

        // A buffered query would have read every row and released its reader by now; a streamed one still
        // holds the connection, so a second command on it cannot start.
        await Assert.ThrowsAsync<NpgsqlOperationInProgressException>(() => db.Database.ExecuteSqlRawAsync("SELECT 1"));
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
