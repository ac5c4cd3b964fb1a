using System.Diagnostics;
using System.Runtime.CompilerServices;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>
/// The start of a local server, around <see cref="LocalPostgresDataDirectory.PrepareAsync"/>. A previous server of the
/// data directory that is on its way out (the AppHost was stopped and started again at once) is waited for. A start that
/// cannot succeed ends the AppHost with one line on stderr that says why and what fixes it, and exit code 1: otherwise
/// the server's resource fails, and everything that waits for it waits forever in silence (with the dashboard, Aspire
/// waits on a failed dependency).
/// </summary>
internal static class LocalPostgresStartup
{
    /// <summary>How long a previous server of the data directory may take to exit.</summary>
    public static readonly TimeSpan PreviousServerTimeout = TimeSpan.FromSeconds(30);

    // Aspire's orchestrator (DCP) runs each executable as its own child: a server it runs belongs to an AppHost, which
    // stops it (SIGTERM, SIGKILL a few seconds later) when that AppHost stops.
    private const string OrchestratorProcessName = "dcp";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly ConditionalWeakTable<IResource, StartState> States = [];
    private static readonly ConditionalWeakTable<IHostApplicationLifetime, object> FailedApps = [];

    /// <summary>
    /// From the server's <see cref="BeforeResourceStartedEvent"/>: waits for a previous server, then prepares the data
    /// directory. On the first start it also watches the server until it accepts connections; if it fails before that,
    /// the AppHost stops. A failure here is thrown, which makes the resource FailedToStart (the dashboard shows why).
    /// </summary>
    public static async Task PrepareAsync(
        BeforeResourceStartedEvent e, LocalPostgresBinaries binaries, string dataDirectory, OsUser runner, string password,
        ILogger logger, CancellationToken cancellationToken)
    {
        var state = States.GetValue(e.Resource, _ => new StartState());
        state.StopCommand = StopCommand(binaries, dataDirectory, runner);
        if (Interlocked.Exchange(ref state.Watched, 1) == 0)
        {
            _ = WatchFirstStartAsync(e.Resource, e.Services, state);
        }

        try
        {
            await WaitForPreviousServerAsync(e.Resource.Name, e.Services, dataDirectory, state.StopCommand, logger, cancellationToken);
            await LocalPostgresDataDirectory.PrepareAsync(binaries, dataDirectory, runner, password, logger, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // initdb's or postgres --single's output (OsUser.RunAsync), or a process that could not start at all.
            state.Failure = ex is PostgresUnavailableException
                ? ex.Message
                : Describe(e.Resource.Name, ex.Message, ex.Message.Split('\n')[0], state.StopCommand);
            throw new PostgresUnavailableException(state.Failure);
        }
    }

    private static async Task WaitForPreviousServerAsync(
        string resourceName, IServiceProvider services, string dataDirectory, string stopCommand, ILogger logger, CancellationToken cancellationToken)
    {
        if (PreviousServer.Of(dataDirectory) is not { } previous)
        {
            // None, or a dead one's postmaster.pid: PostgreSQL itself sees that its PID is gone and starts.
            return;
        }

        if (!previous.Stopping && !previous.UnderOrchestrator)
        {
            // Started by hand, or left behind by an orchestrator that was killed too: nothing is going to stop it.
            throw new PostgresUnavailableException(
                $"PostgreSQL ('{resourceName}') cannot start: its data directory {dataDirectory} is in use by another PostgreSQL server (PID {previous.Pid}) " +
                $"that this AppHost did not start. Stop that server with: {stopCommand}");
        }

        // The console's logger too: the dashboard's log of the resource is not where a developer who has just typed
        // "dotnet run" looks.
        var console = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LocalPostgresStartup).Namespace!);
        foreach (var log in new[] { logger, console })
        {
            log.LogInformation("The data directory {DataDirectory} is still held by a previous PostgreSQL server (PID {Pid}); waiting up to {Seconds} s for it to exit.",
                dataDirectory, previous.Pid, PreviousServerTimeout.TotalSeconds);
        }

        var waited = Stopwatch.StartNew();
        while (PreviousServer.Of(dataDirectory) is { } still)
        {
            if (waited.Elapsed >= PreviousServerTimeout)
            {
                throw new PostgresUnavailableException(
                    $"PostgreSQL ('{resourceName}') cannot start: its data directory {dataDirectory} is still in use by another PostgreSQL server (PID {still.Pid}) " +
                    $"after {PreviousServerTimeout.TotalSeconds:0} s; is another AppHost running on it? Stop that AppHost, or the server with: {stopCommand}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    // Until the server first accepts connections. A server that fails before that (its preparation above, or the process
    // itself: a FATAL at start) ends the app; a later failure (a restart from the dashboard) is the dashboard's to show.
    private static async Task WatchFirstStartAsync(IResource server, IServiceProvider services, StartState state)
    {
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        try
        {
            var end = await services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(server.Name,
                e => e.Snapshot.HealthStatus == HealthStatus.Healthy || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text),
                lifetime.ApplicationStopping);
            var snapshot = end.Snapshot;
            // Exit code 0 before it was healthy: stopped on purpose (Stop on the dashboard); not a failure.
            var failed = snapshot.HealthStatus != HealthStatus.Healthy
                && (snapshot.State?.Text == KnownResourceStates.FailedToStart || snapshot.ExitCode is not (null or 0));
            if (!failed || lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return;
            }

            var message = state.Failure ?? await FromLogAsync(server, services, $"it exited with code {snapshot.ExitCode}", state.StopCommand, lifetime.ApplicationStopping);
            if (!FailedApps.TryAdd(lifetime, new object()))
            {
                return;
            }

            // The one line a developer reads; AppHost.cs returns the exit code. The host's start is still under way
            // (what waits for the server holds it up), so the host also logs that its start was cancelled.
            await Console.Error.WriteLineAsync(message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
        catch (OperationCanceledException)
        {
            // The app is stopping.
        }
    }

    // The server process started and exited: its last FATAL line says why.
    private static async Task<string> FromLogAsync(
        IResource server, IServiceProvider services, string otherwise, string? stopCommand, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        await foreach (var batch in services.GetRequiredService<ResourceLoggerService>().GetAllAsync(server).WithCancellation(cancellationToken))
        {
            lines.AddRange(batch.Select(line => line.Content));
        }

        return Describe(server.Name, string.Join('\n', lines), otherwise, stopCommand);
    }

    /// <summary>
    /// One line from what a failed PostgreSQL program wrote: its last FATAL line (else <paramref name="otherwise"/>), and
    /// what to do about it: a command for the causes known here, else PostgreSQL's own HINT, else where to read the rest.
    /// </summary>
    private static string Describe(string resourceName, string output, string otherwise, string? stopCommand)
    {
        var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var fatalAt = Array.FindLastIndex(lines, line => line.Contains("FATAL:", StringComparison.Ordinal));
        var cause = fatalAt < 0 ? otherwise : From(lines[fatalAt], "FATAL:");
        var hint = fatalAt < 0 ? null : lines.Skip(fatalAt + 1).FirstOrDefault(line => line.Contains("HINT:", StringComparison.Ordinal)) is { } pgHint
            ? From(pgHint, "HINT:")
            : null;

        var fix = cause switch
        {
            _ when cause.Contains("lock file", StringComparison.Ordinal) && stopCommand is not null =>
                $"Another PostgreSQL server holds its data directory; stop it with: {stopCommand}",
            _ when cause.Contains("database files are incompatible with server", StringComparison.Ordinal) =>
                "The data directory is from another PostgreSQL major version: delete it (local data only), or set Postgres:BinDirectory to that version's bin folder.",
            _ when hint is not null => hint,
            _ => $"The log of '{resourceName}' on the dashboard has the rest.",
        };
        return $"PostgreSQL ('{resourceName}') cannot start: {cause.TrimEnd('.')}. {fix}";
    }

    /// <summary>The command that stops the server of <paramref name="dataDirectory"/>, run as the user the server runs as.</summary>
    private static string StopCommand(LocalPostgresBinaries binaries, string dataDirectory, OsUser runner)
    {
        var stop = $"{Quote(binaries.PgCtl)} stop -D {Quote(dataDirectory)}";
        return runner.Uid is null ? stop : $"runuser -u {runner.Name} -- {stop}";
    }

    private static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"'{path}'" : path;

    // From the severity on, which PostgreSQL pads ("FATAL:  lock file ..."); before it come timestamps and the PID.
    private static string From(string line, string severity) =>
        string.Join(' ', line[line.IndexOf(severity, StringComparison.Ordinal)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));

    // Per server resource, across its starts (a restart from the dashboard runs the event again).
    private sealed class StartState
    {
        public int Watched;
        public string? StopCommand;
        public string? Failure;
    }

    /// <summary>
    /// The live postmaster that <c>postmaster.pid</c> of a data directory names (PostgreSQL's own lock: the first line
    /// is its PID, the eighth its status). A PID that is gone, or now another program's, is no server: PostgreSQL
    /// removes such a stale file itself when it starts.
    /// </summary>
    private sealed record PreviousServer(int Pid, bool Stopping, bool UnderOrchestrator)
    {
        public static PreviousServer? Of(string dataDirectory)
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(Path.Combine(dataDirectory, "postmaster.pid"));
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }

            // A negative PID is a single-user backend (another AppHost setting the password): just as much in the way.
            if (lines.Length == 0 || !int.TryParse(lines[0], out var pid) || pid == 0 || !IsPostgresIn(Math.Abs(pid), dataDirectory))
            {
                return null;
            }

            return new PreviousServer(Math.Abs(pid), Stopping: lines.Length > 7 && lines[7].Trim() == "stopping", IsChildOfOrchestrator(Math.Abs(pid)));
        }

        // A process named postgres whose working directory (the postmaster changes into its data directory) is this one,
        // where /proc can tell; elsewhere the name has to do.
        private static bool IsPostgresIn(int pid, string dataDirectory)
        {
            if (!OperatingSystem.IsLinux())
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    return process.ProcessName == "postgres";
                }
                catch (ArgumentException)
                {
                    return false;
                }
            }

            if (ReadProc(pid, "comm")?.Trim() != "postgres")
            {
                return false;
            }

            try
            {
                var cwd = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
                var directory = new DirectoryInfo(dataDirectory);
                return cwd is null || cwd == directory.FullName.TrimEnd('/') || cwd == directory.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return true; // another user's process: the name has to do
            }
        }

        private static bool IsChildOfOrchestrator(int pid)
        {
            if (!OperatingSystem.IsLinux())
            {
                return true; // cannot tell: wait, as for one that is on its way out
            }

            // A few generations up: between the orchestrator and the server there may be a wrapper (setpriv execs, a shell
            // does not).
            var ancestor = pid;
            for (var generation = 0; generation < 3; generation++)
            {
                if (Parent(ancestor) is not { } parent || parent <= 1)
                {
                    return false;
                }

                if (ReadProc(parent, "comm")?.Trim() == OrchestratorProcessName)
                {
                    return true;
                }

                ancestor = parent;
            }

            return false;
        }

        // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
        private static int? Parent(int pid)
        {
            var stat = ReadProc(pid, "stat");
            var fields = stat?[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields is [_, var ppid, ..] && int.TryParse(ppid, out var parent) ? parent : null;
        }

        private static string? ReadProc(int pid, string file)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/{file}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
