using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrmToolkit.Hosting.Postgres;

internal static class CitusClusterBuilderExtensions
{
    // How long the coordinator waits for its workers to accept connections and for the cluster's setup, before the
    // migrator is told it will not get a database.
    private static readonly TimeSpan ClusterTimeout = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan RestartRetryTime = TimeSpan.FromSeconds(30);

    // In each node's data directory, which only the server's user can enter.
    private const string PassFileName = "citus.pgpass";

    /// <summary>
    /// Makes the local server <paramref name="coordinator"/> a Citus coordinator with <c>Postgres:CitusWorkers</c> workers:
    /// local servers of their own (<c>&lt;name&gt;-worker-N</c>, data in <c>&lt;DataDirectory&gt;-worker-N</c>), every node
    /// loading Citus. Once the coordinator is healthy it waits for the workers and sets the cluster up
    /// (<see cref="CitusCluster.EnsureAsync"/>) before <paramref name="database"/> turns Running: whatever waits for the
    /// coordinator (the migrator) starts only on a registered cluster.
    /// </summary>
    public static CitusCluster AddCitusWorkers(
        this IDistributedApplicationBuilder builder,
        IResourceBuilder<LocalPostgresServerResource> coordinator,
        LocalPostgresDatabaseResource database,
        LocalPostgresBinaries binaries,
        OsUser runner,
        IResourceBuilder<ParameterResource> password,
        IResourceBuilder<ParameterResource> appPassword,
        PostgresOptions options)
    {
        var workers = Enumerable.Range(1, options.CitusWorkers)
            .Select(i => builder.AddServer($"{coordinator.Resource.Name}-worker-{i}", $"{options.DataDirectory}-worker-{i}", binaries, runner, password, stopFast: true)
                .WithParentRelationship(coordinator))
            .ToList();
        var cluster = new CitusCluster(coordinator.Resource, [.. workers.Select(w => w.Resource)], database.DatabaseName);

        foreach (var (node, role) in workers.Select(w => (w, "worker")).Prepend((coordinator, "coordinator")))
        {
            var passFile = Path.Combine(node.Resource.WorkingDirectory, PassFileName);
            node.WithInitialState(new CustomResourceSnapshot
                {
                    ResourceType = "Executable",
                    Properties = [new("postgres.mode", "local"), new(CitusCluster.RoleProperty, role)],
                })
                // Citus connects to the other nodes as the session's own user (the owner, or crm_app through the
                // coordinator), by the addresses it registered: loopback, where the servers have no certificate (Citus's
                // default asks for SSL). Passwords come from a pgpass file, so every node keeps password authentication.
                .WithArgs("-c", $"shared_preload_libraries={CitusCluster.Extension}", "-c", "citus.node_conninfo=sslmode=disable")
                .WithEnvironment("PGPASSFILE", passFile);

            // After the data directory is prepared (the handler AddServer subscribed first): the parameters are the source
            // of truth, so the file is written again on every start.
            builder.Eventing.Subscribe<BeforeResourceStartedEvent>(node.Resource, async (e, ct) =>
            {
                var owner = await password.Resource.GetValueAsync(ct) ?? throw new InvalidOperationException("The postgres-password parameter has no value.");
                var app = await appPassword.Resource.GetValueAsync(ct);
                await WritePassFileAsync(passFile, runner, owner, app, ct);
            });
        }

        builder.Eventing.Subscribe<ResourceReadyEvent>(coordinator.Resource, async (e, ct) =>
        {
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(coordinator.Resource);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ClusterTimeout);
            try
            {
                foreach (var worker in cluster.Workers)
                {
                    await WaitForHealthyAsync(notifications, worker, timeout.Token);
                }

                await cluster.EnsureAsync(logger, timeout.Token);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException
                || (ex is OperationCanceledException && !ct.IsCancellationRequested))
            {
                var reason = ex is OperationCanceledException ? $"not ready within {ClusterTimeout.TotalSeconds:0} s" : ex.Message;
                logger.LogError("Citus: the cluster could not be set up, so the migrator does not start: {Reason}", reason);
                await notifications.PublishUpdateAsync(database, s => s with { State = KnownResourceStates.FailedToStart });
                throw;
            }

            await notifications.PublishUpdateAsync(database, s => s with { State = KnownResourceStates.Running });
        });

        // At the app's start the coordinator registers every worker (above); this is for a worker restarted on its own,
        // on a port of its own: the coordinator learns it.
        foreach (var worker in cluster.Workers)
        {
            builder.Eventing.Subscribe<ResourceReadyEvent>(worker, async (e, ct) =>
            {
                var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
                if (!notifications.TryGetCurrentState(database.Name, out var current) || current.Snapshot.State?.Text != KnownResourceStates.Running)
                {
                    return;
                }

                var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(worker);
                var trying = System.Diagnostics.Stopwatch.StartNew();
                while (true)
                {
                    try
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        timeout.CancelAfter(ClusterTimeout);
                        await cluster.EnsureAsync(logger, timeout.Token);
                        return;
                    }
                    catch (NpgsqlException) when (trying.Elapsed < RestartRetryTime)
                    {
                        // Right after a restart a node may still refuse connections (starting, or the previous process
                        // shutting down): try again shortly.
                        await Task.Delay(TimeSpan.FromSeconds(1), ct);
                    }
                    catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException
                        || (ex is OperationCanceledException && !ct.IsCancellationRequested))
                    {
                        logger.LogError("Citus: this worker could not be registered with the coordinator again: {Reason}", ex.Message);
                        return;
                    }
                }
            });
        }

        return cluster;
    }

    private static async Task WaitForHealthyAsync(ResourceNotificationService notifications, LocalPostgresServerResource worker, CancellationToken cancellationToken)
    {
        var reached = await notifications.WaitForResourceAsync(worker.Name,
            e => e.Snapshot.HealthStatus == HealthStatus.Healthy || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text),
            cancellationToken);
        if (reached.Snapshot.HealthStatus != HealthStatus.Healthy)
        {
            throw new InvalidOperationException($"{worker.Name} is {reached.Snapshot.State?.Text}: its console log says why.");
        }
    }

    // libpq's password file: host:port:database:user:password, ':' and '\' escaped. Readable by the server's user only
    // (libpq ignores a file that others can read).
    private static async Task WritePassFileAsync(string path, OsUser runner, string ownerPassword, string? appPassword, CancellationToken cancellationToken)
    {
        var content = new StringBuilder()
            .Append("127.0.0.1:*:*:").Append(LocalPostgresDataDirectory.SuperUser).Append(':').Append(Escape(ownerPassword)).Append('\n');
        if (!string.IsNullOrEmpty(appPassword))
        {
            content.Append("127.0.0.1:*:*:").Append(CrmDatabaseBuilderExtensions.AppRole).Append(':').Append(Escape(appPassword)).Append('\n');
        }

        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new FileStream(path, options))
        await using (var writer = new StreamWriter(file))
        {
            await writer.WriteAsync(content, cancellationToken);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await runner.OwnAsync(path, cancellationToken);

        static string Escape(string value) => value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace(":", @"\:", StringComparison.Ordinal);
    }
}
