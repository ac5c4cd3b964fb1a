using System.Diagnostics;
using System.Globalization;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// The one way the tests start a process: both output streams redirected and read from the start (a full pipe
/// never blocks the process), a timeout after which the process and its children are killed (a hung process
/// never outlives the test run), and the output in every failure.
/// </summary>
public sealed class TestProcess : IDisposable
{
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly string _commandLine;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private TestProcess(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="start"/> with its output and errors redirected.</summary>
    public static TestProcess Start(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var commandLine = $"{start.FileName} {(start.ArgumentList.Count > 0 ? string.Join(' ', start.ArgumentList) : start.Arguments)}";
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{commandLine} did not start.");
        return new TestProcess(process, commandLine);
    }

    /// <summary>Starts, then waits as <see cref="WaitForExitAsync"/> does: a non-zero exit is the caller's to judge (<see cref="Result.EnsureSuccess"/>).</summary>
    public static async Task<Result> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = Start(start);
        return await process.WaitForExitAsync(timeout);
    }

    /// <summary><c>dotnet <paramref name="dll"/></c> (a build output of this solution), in the DLL's folder, with extra environment.</summary>
    public static ProcessStartInfo Dotnet(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet", [dll, .. arguments]) { WorkingDirectory = Path.GetDirectoryName(dll)! };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return start;
    }

    /// <summary>
    /// Waits for the exit and all output. Past <paramref name="timeout"/> the process and its children are
    /// killed and a <see cref="TimeoutException"/> carries what they wrote.
    /// </summary>
    public async Task<Result> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            // A child that inherited the pipes could keep them open after the exit: that counts against the timeout too.
            await Task.WhenAll(_stdout, _stderr).WaitAsync(cts.Token);
            return new Result(_commandLine, _process.ExitCode, await _stdout, await _stderr);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Kill();
            throw new TimeoutException($"{_commandLine} did not finish within {timeout}; it and its children were killed. Output: {await OutputSoFarAsync()}");
        }
    }

    /// <summary>Asks the process to stop as an orchestrator or <c>docker stop</c> would (SIGTERM).</summary>
    public async Task TerminateAsync() =>
        (await RunAsync(new ProcessStartInfo("kill", ["-TERM", Id.ToString(CultureInfo.InvariantCulture)]), TimeSpan.FromSeconds(10))).EnsureSuccess();

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(OutputGrace);
        }
    }

    private async Task<string> OutputSoFarAsync()
    {
        try
        {
            await Task.WhenAll(_stdout, _stderr).WaitAsync(OutputGrace);
            return await _stdout + await _stderr;
        }
        catch (TimeoutException)
        {
            return "(the output is still held open by another process)";
        }
    }

    /// <summary>How a process ended: its exit code and everything it wrote.</summary>
    public sealed record Result(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
    {
        public string Output => StandardOutput + StandardError;

        /// <summary>This result; a non-zero exit is an <see cref="InvalidOperationException"/> with the output.</summary>
        public Result EnsureSuccess() =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{CommandLine} exited {ExitCode}: {Output}");

        public void Deconstruct(out int exitCode, out string output) => (exitCode, output) = (ExitCode, Output);
    }
}
