using Aspire.Hosting;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>The build output of a project of this solution, in the configuration the tests were built in.</summary>
public static class BuildOutput
{
    public static string Dll<TProject>() where TProject : IProjectMetadata, new()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory); // .../bin/<Configuration>/<tfm>/
        var projectPath = new TProject().ProjectPath;
        var directory = Path.GetDirectoryName(projectPath)!;
        return Path.Combine(directory, "bin", testBin.Parent!.Name, testBin.Name, Path.GetFileNameWithoutExtension(projectPath) + ".dll");
    }
}

public static class ProcessHelpers
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a program to its end; a non-zero exit is an <see cref="InvalidOperationException"/> with its output.</summary>
    public static async Task RunAsync(string command, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(command, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} exited {process.ExitCode}: {await output}{await errors}");
        }
    }

    /// <summary>Runs a .NET program from its build output with the given environment; its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunDllAsync(string dll, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Never leave a hung worker behind the test run.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} did not exit within {timeout}.");
        }

        return (process.ExitCode, await output + await errors);
    }

    /// <summary>Asks a process to stop as an orchestrator or <c>docker stop</c> would (SIGTERM).</summary>
    public static Task TerminateAsync(Process process) => RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
}
