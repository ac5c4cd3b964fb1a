using CrmToolkit.Hosting.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the test's own (not the AppHost's), on a throw-away data directory and a free loopback
/// port, that the test can stop, start and restart: for faults the shared server must not suffer. Migrated by
/// the real migration worker, which also creates the application role. The binaries, the server user and the data
/// directory's initialisation are the AppHost's (<see cref="LocalPostgresBinaries"/>, <see cref="OsUser"/>,
/// <see cref="LocalPostgresDataDirectory"/>), with the same settings from the environment.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    // A throw-away cluster on 127.0.0.1 that lives as long as one test: not a secret worth a parameter.
    private const string OwnerPassword = "fault-test-owner";
    private const string AppPassword = "fault-test-app";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly string _directory;
    private readonly LocalPostgresBinaries _binaries;
    private readonly OsUser _user;

    private PostgresServer(string directory, LocalPostgresBinaries binaries, OsUser user, int port)
    {
        _directory = directory;
        _binaries = binaries;
        _user = user;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The owner of the crm database (the migration worker's role).</summary>
    public string OwnerConnectionString => $"Host=127.0.0.1;Port={Port};Username={LocalPostgresDataDirectory.SuperUser};Password={OwnerPassword};Database=crm";

    /// <summary>The API's role, under row-level security.</summary>
    public string AppConnectionString => $"Host=127.0.0.1;Port={Port};Username=crm_app;Password={AppPassword};Database=crm";

    /// <summary>initdb, start, and migrate with the worker (exit code 0 or the test fails with its output).</summary>
    public static async Task<PostgresServer> StartMigratedAsync()
    {
        var server = await StartEmptyAsync();
        var (exitCode, output) = await TestProcess.RunAsync(
            TestProcess.Dotnet(BuildOutput.Dll<Projects.CrmToolkit_MigrationWorker>(), [], new Dictionary<string, string>
            {
                ["ConnectionStrings__crm"] = server.OwnerConnectionString,
                ["Crm__AppRole__Password"] = AppPassword,
            }),
            TimeSpan.FromSeconds(90));
        Assert.True(exitCode == 0, $"The migration worker exited {exitCode}:\n{output}");
        return server;
    }

    /// <summary>initdb and start, as a developer starts a server by hand (pg_ctl): no crm database yet.</summary>
    public static async Task<PostgresServer> StartEmptyAsync()
    {
        var binaries = LocalPostgresBinaries.FromEnvironment();
        var user = OsUser.FromEnvironment();
        var directory = Path.Combine(Path.GetTempPath(), "crmtoolkit-tests", $"pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        await user.OwnAsync(directory); // pg_ctl writes the server's log into it

        var server = new PostgresServer(directory, binaries, user, ProcessHelpers.FreePort());
        using (var timeout = new CancellationTokenSource(CommandTimeout))
        {
            await LocalPostgresDataDirectory.PrepareAsync(binaries, server.DataDirectory, user, OwnerPassword, NullLogger.Instance, timeout.Token);
        }

        await server.StartAsync();
        return server;
    }

    public string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>Starts the server and waits until it accepts connections.</summary>
    public Task StartAsync() => RunAsServerUserAsync(_binaries.PgCtl, "start", "-w", "-t", "60", "-D", DataDirectory,
        "-l", Path.Combine(_directory, "server.log"),
        "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''");

    /// <summary>A fast shutdown: open transactions are rolled back, clients are disconnected.</summary>
    public Task StopAsync() => RunAsServerUserAsync(_binaries.PgCtl, "stop", "-w", "-m", "fast", "-D", DataDirectory);

    public NpgsqlDataSource OwnerDataSource() => NpgsqlDataSource.Create(OwnerConnectionString);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsServerUserAsync(_binaries.PgCtl, "stop", "-w", "-m", "immediate", "-D", DataDirectory);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Under the temp directory; nothing else uses it.
        }
    }

    private async Task RunAsServerUserAsync(string program, params string[] arguments)
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        await _user.RunAsync(program, arguments, cancellationToken: timeout.Token);
    }
}
