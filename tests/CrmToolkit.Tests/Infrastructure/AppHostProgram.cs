using System.Diagnostics;
using System.Text.Json;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>The built AppHost run as a program, as <c>dotnet run</c> and azd run it.</summary>
public static class AppHostProgram
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string arguments)
    {
        // The AppHost is built next to this test assembly's configuration: .../CrmToolkit.AppHost/bin/<Configuration>/net10.0.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = testBin.Parent!.Name;
        var appHostDirectory = Projects.CrmToolkit_AppHost.ProjectPath;
        var appHost = Path.Combine(appHostDirectory, "bin", configuration, testBin.Name, "CrmToolkit.AppHost.dll");
        Assert.True(File.Exists(appHost), $"{appHost} is not built");

        var result = await TestProcess.RunAsync(
            new ProcessStartInfo("dotnet", $"\"{appHost}\" {arguments}") { WorkingDirectory = appHostDirectory },
            TimeSpan.FromSeconds(60));
        return (result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>
    /// The manifest azd deploys, published the way azd asks for it (<c>--publisher manifest --output-path file</c>)
    /// with these extra arguments: its resources.
    /// </summary>
    public static async Task<JsonElement> PublishManifestAsync(string arguments = "")
    {
        var output = Directory.CreateTempSubdirectory("crm-manifest-").FullName;
        try
        {
            var file = Path.Combine(output, "aspire-manifest.json");
            var (exitCode, _, stderr) = await RunAsync($"--publisher manifest --output-path \"{file}\" {arguments}");
            Assert.True(exitCode == 0, stderr);
            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            return manifest.RootElement.GetProperty("resources").Clone();
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
