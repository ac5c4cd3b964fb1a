using System.Diagnostics;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Foundation;

/// <summary>
/// The AppHost as a program: when no PostgreSQL mode can work it exits at once with one message that says
/// what to do, instead of waiting forever; and publishing (the manifest azd consumes) describes the standard
/// PostgreSQL resource. Runs the built AppHost itself; neither starts anything.
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

    [Fact]
    public async Task PublishingDescribesTheStandardPostgresResourceAndBothRoles()
    {
        var output = Directory.CreateTempSubdirectory("crm-manifest-").FullName;
        try
        {
            // Publish mode ignores the local binaries even when they are all there is.
            var (exitCode, _, stderr) = await RunAppHostAsync($"--operation publish --step publish-manifest --output-path \"{output}\"");
            Assert.True(exitCode == 0, stderr);

            using var manifest = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "aspire-manifest.json")));
            var resources = manifest.RootElement.GetProperty("resources");
            string Get(string resource, params string[] path) =>
                path.Aggregate(resources.GetProperty(resource), (e, p) => e.GetProperty(p)).GetString()!;

            Assert.Equal("container.v0", Get("postgres", "type"));
            Assert.StartsWith("docker.io/library/postgres", Get("postgres", "image"));
            Assert.Equal("{postgres.connectionString};Database=crm", Get("crm", "connectionString"));
            Assert.Contains("Username=crm_app;Password={crm-app-password.value};Database=crm", Get("crm-app", "connectionString"));
            Assert.Equal("project.v0", Get("migrator", "type"));
            Assert.Equal("{crm.connectionString}", Get("migrator", "env", "ConnectionStrings__crm"));
            Assert.Equal("{crm-app.connectionString}", Get("migrator", "env", "ConnectionStrings__crm-app"));
            Assert.Equal("{crm-app.connectionString}", Get("api", "env", "ConnectionStrings__crm"));
            Assert.True(resources.GetProperty("postgres-password").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
            Assert.True(resources.GetProperty("crm-app-password").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAppHostAsync(string arguments)
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
}
