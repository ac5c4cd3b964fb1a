using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>
/// A Citus coordinator and its workers, all local servers on 127.0.0.1 (<c>Postgres:CitusWorkers</c> &gt; 0). Before the
/// migration worker starts, <see cref="EnsureAsync"/> makes the CRM database a cluster: the database and the
/// <c>citus</c> extension on every node (as the superuser: the migrator, the owner, need not be one), the coordinator's
/// address, and every worker registered. Idempotent, and run on every start: the orchestrator allocates new ports each
/// run, so the ports the coordinator has registered are stale and are updated, never added twice.
/// </summary>
public sealed class CitusCluster
{
    public const string Extension = "citus";

    /// <summary>The dashboard property that names a node's role, <c>coordinator</c> or <c>worker</c>.</summary>
    public const string RoleProperty = "citus.role";

    /// <summary>The dashboard property of the database resource that says how many workers the cluster has.</summary>
    public const string WorkersProperty = "citus.workers";

    // Every node listens on loopback only, and the coordinator registers them by this address.
    private const string Host = "127.0.0.1";

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    // The metadata changes of two starts (the coordinator's and a restarted worker's) must not interleave.
    private readonly SemaphoreSlim _gate = new(1, 1);

    internal CitusCluster(LocalPostgresServerResource coordinator, IReadOnlyList<LocalPostgresServerResource> workers, string databaseName)
    {
        Coordinator = coordinator;
        Workers = workers;
        DatabaseName = databaseName;
    }

    public LocalPostgresServerResource Coordinator { get; }

    public IReadOnlyList<LocalPostgresServerResource> Workers { get; }

    /// <summary>The coordinator, then the workers.</summary>
    public IEnumerable<LocalPostgresServerResource> Nodes => [Coordinator, .. Workers];

    public string DatabaseName { get; }

    /// <summary>
    /// Creates the database and the extension on every node where they are missing, sets the coordinator's address and
    /// registers every worker with its current port. Every node must accept connections.
    /// </summary>
    public async Task EnsureAsync(ILogger logger, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var node in Nodes)
            {
                await CreateDatabaseAsync(node, cancellationToken);
                await using var connection = await OpenAsync(node, DatabaseName, cancellationToken);
                await ExecuteAsync(connection, $"CREATE EXTENSION IF NOT EXISTS {Extension}", cancellationToken);
            }

            await using var coordinator = await OpenAsync(Coordinator, DatabaseName, cancellationToken);
            await RegisterAsync(coordinator, logger, cancellationToken);

            var active = await ScalarAsync<long>(coordinator, "SELECT count(*) FROM citus_get_active_worker_nodes()", cancellationToken);
            if (active != Workers.Count)
            {
                throw new InvalidOperationException($"Citus: the coordinator has {active} active workers, not {Workers.Count}.");
            }

            logger.LogInformation("Citus: coordinator {Host}:{Port}, workers {Workers}; database {Database} and the extension on every node",
                Host, Coordinator.Endpoint.Port, string.Join(", ", Workers.Select(w => $"{w.Name} {Host}:{w.Endpoint.Port}")), DatabaseName);
        }
        finally
        {
            _gate.Release();
        }
    }

    // The coordinator's pg_dist_node, matched with the workers by the group id each worker keeps in its own
    // pg_dist_local_group (0 until it is registered): a worker's data directory, not its port, is its identity.
    private async Task RegisterAsync(NpgsqlConnection coordinator, ILogger logger, CancellationToken cancellationToken)
    {
        var registered = new List<RegisteredNode>();
        await using (var command = new NpgsqlCommand(
            "SELECT nodeid, groupid, nodename, nodeport FROM pg_dist_node WHERE groupid <> 0 AND noderole = 'primary' ORDER BY nodeid", coordinator))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                registered.Add(new(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt32(3)));
            }
        }

        var moves = new List<(RegisteredNode Node, LocalPostgresServerResource Worker)>();
        var additions = new List<LocalPostgresServerResource>();
        var claimed = new HashSet<int>();
        foreach (var worker in Workers)
        {
            await using var connection = await OpenAsync(worker, DatabaseName, cancellationToken);
            var group = await ScalarAsync<int>(connection, "SELECT groupid FROM pg_dist_local_group", cancellationToken);
            if (registered.Find(r => r.GroupId == group) is { } node)
            {
                claimed.Add(node.NodeId);
                if (node.Name != Host || node.Port != worker.Endpoint.Port)
                {
                    moves.Add((node, worker));
                }
            }
            else
            {
                additions.Add(worker);
            }
        }

        // A node no worker claims any more: its data directory is gone, or Postgres:CitusWorkers went down.
        var stale = registered.Where(r => !claimed.Contains(r.NodeId)).ToList();

        // Ports are allocated anew each run, so a worker's new port may be one another node had before: those nodes first
        // move to names of their own, which keeps (name, port) unique at every step.
        if (moves.Any(m => registered.Any(r => r != m.Node && r.Name == Host && r.Port == m.Worker.Endpoint.Port)))
        {
            foreach (var node in moves.Select(m => m.Node).Concat(stale))
            {
                await ExecuteAsync(coordinator, "SELECT citus_update_node($1, $2, $3)", cancellationToken, node.NodeId, node.Placeholder, node.Port);
            }

            stale = [.. stale.Select(s => s with { Name = s.Placeholder })];
        }

        foreach (var (node, worker) in moves)
        {
            logger.LogInformation("Citus: {Worker} (node {NodeId}) is now at {Host}:{Port}", worker.Name, node.NodeId, Host, worker.Endpoint.Port);
            await ExecuteAsync(coordinator, "SELECT citus_update_node($1, $2, $3)", cancellationToken, node.NodeId, Host, worker.Endpoint.Port);
        }

        if (moves.Count > 0)
        {
            // Citus copies the moves to every worker's metadata in the background (its maintenance daemon, within
            // seconds); removing a node or setting the coordinator's address refuses a worker whose copy is out of date.
            await WaitForMetadataSyncAsync(coordinator, [.. stale.Select(s => s.NodeId)], cancellationToken);
        }

        foreach (var node in stale)
        {
            logger.LogWarning("Citus: node {NodeId} (group {GroupId}) belongs to no worker of this app any more; removing it", node.NodeId, node.GroupId);
            try
            {
                await ExecuteAsync(coordinator, "SELECT citus_remove_node($1, $2)", cancellationToken, node.Name, node.Port);
            }
            catch (PostgresException ex)
            {
                throw new InvalidOperationException(
                    $"Citus: the coordinator still has worker group {node.GroupId}, which no worker's data directory claims any more, and " +
                    $"cannot remove it ({ex.MessageText}): its shards are gone. Stop the app and delete the data directories of the " +
                    "coordinator and of every worker (Postgres:DataDirectory and its -worker-N siblings) to start over.", ex);
            }
        }

        // After the moves: setting the coordinator's address updates every worker's copy of the metadata, so every
        // registered worker must be reachable at its registered port by then.
        await ExecuteAsync(coordinator, "SELECT citus_set_coordinator_host($1, $2)", cancellationToken, Host, Coordinator.Endpoint.Port);

        foreach (var worker in additions)
        {
            logger.LogInformation("Citus: registering {Worker} at {Host}:{Port}", worker.Name, Host, worker.Endpoint.Port);
            await ExecuteAsync(coordinator, "SELECT citus_add_node($1, $2)", cancellationToken, Host, worker.Endpoint.Port);
        }
    }

    // Of every node but the stale ones, which nobody can reach any more.
    private static async Task WaitForMetadataSyncAsync(NpgsqlConnection coordinator, int[] stale, CancellationToken cancellationToken)
    {
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        while (!await ScalarAsync<bool>(coordinator,
            "SELECT coalesce(bool_and(metadatasynced), true) FROM pg_dist_node WHERE hasmetadata AND isactive AND nodeid <> ALL($1)", cancellationToken, stale))
        {
            if (waiting.Elapsed > CommandTimeout)
            {
                throw new InvalidOperationException($"Citus: the workers' metadata was not in sync with the coordinator's within {CommandTimeout.TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    private sealed record RegisteredNode(int NodeId, int GroupId, string Name, int Port)
    {
        // A name no real node has (.invalid never resolves, RFC 2606).
        public string Placeholder => $"moving-node-{NodeId}.invalid";
    }

    // The superuser's connection: no pool (the setup runs once a start), short timeouts.
    private static async Task<NpgsqlConnection> OpenAsync(LocalPostgresServerResource node, string database, CancellationToken cancellationToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await node.ConnectionStringExpression.GetValueAsync(cancellationToken))
        {
            Database = database,
            Pooling = false,
            Timeout = 5,
            CommandTimeout = (int)CommandTimeout.TotalSeconds,
            ApplicationName = "CrmToolkit.Hosting (Citus cluster)",
        };
        var connection = new NpgsqlConnection(connectionString.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private async Task CreateDatabaseAsync(LocalPostgresServerResource node, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(node, "postgres", cancellationToken);
        if (await ScalarAsync<bool>(connection, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", cancellationToken, DatabaseName))
        {
            return;
        }

        try
        {
            await ExecuteAsync(connection, $"CREATE DATABASE {QuotedDatabaseName}", cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Created by someone else since the check.
        }
    }

    private string QuotedDatabaseName => "\"" + DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }
}
