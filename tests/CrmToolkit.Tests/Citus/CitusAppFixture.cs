using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Hosting.Postgres;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CrmToolkit.Tests.Citus;

/// <summary>
/// The real AppHost with <c>Postgres:CitusWorkers=2</c>: a coordinator and two workers from the local binaries, on
/// throw-away data directories, shared by the Citus tests (2 cores: three servers and one DCP are the budget). Starting
/// waits for the cluster only (every node healthy, the database and the extension on every node, the workers
/// registered); <see cref="WaitForApiAsync"/> waits for the migrator and the API, for the tests that use them. Without
/// the citus extension it starts nothing: every test here is a <see cref="CitusFactAttribute"/> and is skipped.
/// </summary>
public sealed class CitusAppFixture : IAsyncLifetime, ITestApp
{
    public const int WorkerCount = 2;

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly string _dataDirectory = TestAppHost.NewDataDirectory();

    public DistributedApplication App { get; private set; } = null!;

    public static string Coordinator => CrmDatabaseBuilderExtensions.ServerName;

    public static IReadOnlyList<string> Workers { get; } = [.. Enumerable.Range(1, WorkerCount).Select(i => $"{Coordinator}-worker-{i}")];

    /// <summary>The coordinator, then the workers.</summary>
    public static IEnumerable<string> Nodes => Workers.Prepend(Coordinator);

    /// <summary>Each node's data directory: the coordinator's is the configured one, each worker's a sibling.</summary>
    public IEnumerable<string> DataDirectories => Workers.Select((_, i) => $"{_dataDirectory}-worker-{i + 1}").Prepend(_dataDirectory);

    /// <summary>The API's base address, once <see cref="WaitForApiAsync"/> returned.</summary>
    public Uri ApiAddress { get; private set; } = null!;

    /// <summary>Owner connections to the coordinator's CRM database, once <see cref="WaitForApiAsync"/> returned.</summary>
    public NpgsqlDataSource Database { get; private set; } = null!;

    /// <summary>The API's connection string (the application role), once <see cref="WaitForApiAsync"/> returned.</summary>
    public string AppConnectionString { get; private set; } = null!;

    /// <summary>A client of the API (its own loopback address), once <see cref="WaitForApiAsync"/> returned.</summary>
    public ApiClient NewClient() => new(ApiAddress, owner: Database);

    public async Task InitializeAsync()
    {
        if (CitusFactAttribute.IsInstalled)
        {
            await StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }

        DeleteDataDirectories();
    }

    private void DeleteDataDirectories()
    {
        foreach (var directory in DataDirectories)
        {
            TestAppHost.DeleteDataDirectory(directory);
        }
    }

    /// <summary>Starts the AppHost on this fixture's data directories and waits until the cluster is set up.</summary>
    public async Task StartAsync()
    {
        if (await TryStartAsync() != KnownResourceStates.Running)
        {
            var log = await ResourceLog.ReplayAsync(App, Coordinator);
            Assert.Fail($"The Citus cluster was not set up:\n{string.Join('\n', log.Select(l => l.Text).TakeLast(20))}");
        }
    }

    /// <summary>
    /// Starts the AppHost on this fixture's data directories and waits until the crm database resource is Running (the
    /// cluster is set up) or FailedToStart (it could not be); returns which.
    /// </summary>
    public async Task<string> TryStartAsync()
    {
        using var cts = new CancellationTokenSource(TestAppHost.StartTimeout);
        var builder = await TestAppHost.CreateBuilderAsync(
            _dataDirectory, cts.Token, "--Postgres:Mode=local", $"--Postgres:CitusWorkers={WorkerCount}");
        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        return await App.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(
            CrmDatabaseBuilderExtensions.DatabaseName, [KnownResourceStates.Running, KnownResourceStates.FailedToStart], cts.Token);
    }

    /// <summary>
    /// Stops the AppHost and waits until every node's server has shut down cleanly (its postmaster.pid is gone) and no
    /// process of theirs is left, Citus's maintenance daemons included; returns how long that took.
    /// </summary>
    public async Task<TimeSpan> StopAsync()
    {
        var processes = DataDirectories.SelectMany(ServerProcesses).ToList();
        Assert.Equal(WorkerCount + 1, processes.Count(p => p.IsPostmaster));

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        await App.DisposeAsync();
        App = null!;
        while (DataDirectories.Any(d => File.Exists(Path.Combine(d, "postmaster.pid"))) && stopping.Elapsed < StopTimeout)
        {
            await Task.Delay(100);
        }

        Assert.All(DataDirectories, d => Assert.False(File.Exists(Path.Combine(d, "postmaster.pid")), $"The server of {d} did not shut down within {StopTimeout.TotalSeconds:0} s."));
        Assert.All(processes, p => Assert.False(Directory.Exists($"/proc/{p.Pid}"), $"Process {p.Pid} ({p.Command}) outlived the AppHost."));
        return stopping.Elapsed;
    }

    /// <summary>Stops the AppHost, deletes every node's data directory and starts again: a new, empty cluster.</summary>
    public async Task StartOverAsync()
    {
        await StopAsync();
        DeleteDataDirectories();
        await StartAsync();
    }

    /// <summary>Waits (up to 3 minutes) until the migrator has finished and the API is healthy.</summary>
    public async Task WaitForApiAsync()
    {
        using var cts = new CancellationTokenSource(TestAppHost.StartTimeout);
        await TestAppHost.WaitForApiAsync(App, cts.Token);
        ApiAddress = App.GetEndpoint("api", "http");
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        Database = NpgsqlDataSource.Create((await App.GetConnectionStringAsync(CrmDatabaseBuilderExtensions.DatabaseName, cts.Token))!);
        AppConnectionString = (await App.GetConnectionStringAsync(CrmDatabaseBuilderExtensions.AppConnectionName, cts.Token))!;
    }

    /// <summary>The superuser's connections to the CRM database on <paramref name="node"/>; dispose after use.</summary>
    public async Task<NpgsqlDataSource> OpenNodeAsync(string node)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await App.GetConnectionStringAsync(node))
        {
            Database = CrmDatabaseBuilderExtensions.DatabaseName,
            Pooling = false,
        };
        return NpgsqlDataSource.Create(connectionString.ConnectionString);
    }

    /// <summary>The port the orchestrator gave <paramref name="node"/> in this run.</summary>
    public int Port(string node) => App.GetEndpoint(node, "tcp").Port;

    /// <summary>The latest snapshot the orchestrator published for a resource.</summary>
    public CustomResourceSnapshot Snapshot(string resourceName) =>
        App.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(resourceName, out var resourceEvent)
            ? resourceEvent.Snapshot
            : throw new InvalidOperationException($"No state for resource '{resourceName}'.");

    private sealed record ServerProcess(int Pid, bool IsPostmaster, string Command);

    // The postmaster of a data directory (postmaster.pid's first line) and its children.
    private static IEnumerable<ServerProcess> ServerProcesses(string dataDirectory)
    {
        var pid = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
        yield return new(pid, true, "postmaster");
        foreach (var stat in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string text, command;
            try
            {
                text = File.ReadAllText(Path.Combine(stat, "stat"));
                command = File.ReadAllText(Path.Combine(stat, "cmdline")).Replace('\0', ' ').Trim();
            }
            catch (IOException)
            {
                continue; // gone meanwhile
            }

            // pid (comm) state ppid ...: the command may hold spaces and parentheses, so read after the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[1] == pid.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                yield return new(int.Parse(Path.GetFileName(stat), System.Globalization.CultureInfo.InvariantCulture), false, command);
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CitusCollection : ICollectionFixture<CitusAppFixture>
{
    public const string Name = "citus";
}
