using System.Diagnostics;

namespace CrmToolkit.Tests.Foundation;

/// <summary>
/// When no PostgreSQL mode can work, the AppHost exits at once with one message that says what to do,
/// instead of waiting forever. Runs the built AppHost itself; it stops before starting anything.
/// </summary>
public sealed class AppHostModeTests
{
    [Theory]
    [InlineData("--Postgres:Mode=local --Postgres:BinDirectory=/nonexistent", "Postgres:BinDirectory is '/nonexistent'")]
    [InlineData("--Postgres:Mode=existing --ConnectionStrings:crm=", "no connection string 'ConnectionStrings:crm' is configured")]
    [InlineData("--Postgres:Mode=cloud", "Postgres:Mode 'cloud' is not one of: auto, existing, container, local")]
    public async Task AnImpossibleModeExitsAtOnceWithOneMessage(string arguments, string message)
    {
        var (exitCode, stdout, stderr) = await RunAppHostAsync(arguments);

        Assert.Equal(1, exitCode);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr); // a message, not a stack trace
        Assert.DoesNotContain("Distributed application started", stdout);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAppHostAsync(string arguments)
    {
        // The AppHost is built next to this test assembly's configuration: .../CrmToolkit.AppHost/bin/<Configuration>/net10.0.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = testBin.Parent!.Name;
        var appHostDirectory = Projects.CrmToolkit_AppHost.ProjectPath;
        var appHost = Path.Combine(appHostDirectory, "bin", configuration, testBin.Name, "CrmToolkit.AppHost.dll");
        Assert.True(File.Exists(appHost), $"{appHost} is not built");

        using var process = Process.Start(new ProcessStartInfo("dotnet", $"\"{appHost}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = appHostDirectory,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The AppHost did not exit within 60 s with {arguments}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
