using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Deployment;

/// <summary>
/// What this repository can prove of the Azure infrastructure without Azure: every Bicep file under
/// <c>infra/</c> compiles, and passes the linter, with no error and no warning (Bicep CLI from the NuGet package
/// <c>Azure.Bicep.CommandLine.linux-x64</c>, restored by the build); the PostgreSQL template has every output
/// <c>docs/deploy.md</c> tells users to paste into the AppHost's parameters, and none of them reveals the password.
/// </summary>
public sealed class BicepTests
{
    /// <summary>The outputs of infra/postgres.bicep that docs/deploy.md builds the two secret parameters from.</summary>
    private static readonly string[] PostgresOutputs =
    [
        "AZURE_RESOURCE_GROUP",
        "POSTGRES_SERVER_NAME",
        "POSTGRES_FQDN",
        "POSTGRES_DATABASE",
        "POSTGRES_ADMIN_LOGIN",
        "CRM_CONNECTION_STRING_BASE",
        "CRM_APP_CONNECTION_STRING_BASE",
    ];

    [Fact]
    public async Task EveryBicepFileUnderInfraCompilesWithoutErrorsOrWarnings()
    {
        var files = Repository.BicepFiles();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var build = await Bicep.BuildAsync(file);

            Assert.True(build.ExitCode == 0, $"bicep build {file} exited {build.ExitCode}: {build.StandardError}");
            Assert.True(build.Diagnostics.Count == 0, $"bicep build {file}:{Environment.NewLine}{string.Join(Environment.NewLine, build.Diagnostics)}");
            using var template = JsonDocument.Parse(build.StandardOutput);
            Assert.Equal("1.0.0.0", template.RootElement.GetProperty("contentVersion").GetString());
        }
    }

    [Fact]
    public async Task EveryBicepFileUnderInfraPassesTheLinterWithoutFindings()
    {
        foreach (var file in Repository.BicepFiles())
        {
            var (exitCode, diagnostics, output) = await Bicep.LintAsync(file);

            Assert.True(exitCode == 0, $"bicep lint {file} exited {exitCode}: {output}");
            Assert.True(diagnostics.Count == 0, $"bicep lint {file}:{Environment.NewLine}{string.Join(Environment.NewLine, diagnostics)}");
        }
    }

    [Fact]
    public async Task ThePostgresTemplateHasEveryOutputTheGuideTellsUsersToUse()
    {
        var outputs = await PostgresOutputsAsync();
        foreach (var name in PostgresOutputs)
        {
            Assert.True(outputs.TryGetProperty(name, out var output), $"infra/postgres.bicep has no output {name}");
            Assert.Equal("string", output.GetProperty("type").GetString());
        }

        // Every output the guide reads with --query properties.outputs.<NAME>.value exists, and it reads the two
        // that the secret parameters are made of.
        var guide = await File.ReadAllTextAsync(Repository.Path("docs", "deploy.md"));
        var named = Regex.Matches(guide, @"properties\.outputs\.(?<name>[A-Za-z_]+)\.value")
            .Select(m => m.Groups["name"].Value)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Contains("CRM_CONNECTION_STRING_BASE", named);
        Assert.Contains("CRM_APP_CONNECTION_STRING_BASE", named);
        foreach (var name in named)
        {
            Assert.True(outputs.TryGetProperty(name, out _), $"docs/deploy.md reads output {name}, which infra/postgres.bicep does not have");
        }
    }

    [Fact]
    public async Task TheConnectionStringOutputsNameTheRolesAndRequireTlsButCarryNoPassword()
    {
        var outputs = await PostgresOutputsAsync();
        var owner = outputs.GetProperty("CRM_CONNECTION_STRING_BASE").GetProperty("value").GetString()!;
        var app = outputs.GetProperty("CRM_APP_CONNECTION_STRING_BASE").GetProperty("value").GetString()!;

        Assert.Contains("Username=crm_app", app, StringComparison.Ordinal);
        Assert.Contains("administratorLogin", owner, StringComparison.Ordinal);
        foreach (var value in new[] { owner, app })
        {
            Assert.Contains("SSL Mode=Require", value, StringComparison.Ordinal);
            Assert.DoesNotContain("Password", value, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task TheAdministratorPasswordIsASecureParameterThatNoOutputUses()
    {
        var build = await Bicep.BuildAsync(Repository.Path("infra", "postgres.bicep"));
        using var template = JsonDocument.Parse(build.StandardOutput);
        var root = template.RootElement;

        Assert.Equal("securestring", root.GetProperty("parameters").GetProperty("administratorLoginPassword").GetProperty("type").GetString());
        Assert.False(root.GetProperty("parameters").GetProperty("administratorLoginPassword").TryGetProperty("defaultValue", out _));
        Assert.DoesNotContain("administratorLoginPassword", root.GetProperty("outputs").GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public void InfraHasNoMainModuleSoAzdStillGeneratesTheAspireInfrastructure()
    {
        // azd uses infra/main.* (or infra.layers in azure.yaml) as the project's whole infrastructure and then no
        // longer generates the Container Apps environment, registry and identity from the AppHost.
        var main = Directory.EnumerateFiles(Repository.Path("infra"))
            .Where(f => string.Equals(Path.GetFileNameWithoutExtension(f), "main", StringComparison.Ordinal))
            .ToList();
        Assert.Empty(main);
        Assert.DoesNotMatch(new Regex(@"^infra\s*:", RegexOptions.Multiline), File.ReadAllText(Repository.Path("azure.yaml")));
    }

    private static async Task<JsonElement> PostgresOutputsAsync()
    {
        var build = await Bicep.BuildAsync(Repository.Path("infra", "postgres.bicep"));
        Assert.True(build.ExitCode == 0, build.StandardError);
        using var template = JsonDocument.Parse(build.StandardOutput);
        return template.RootElement.GetProperty("outputs").Clone();
    }
}

/// <summary>
/// <c>azure.yaml</c> is what <c>azd init</c> writes for an Aspire AppHost: one <c>containerapp</c> service whose
/// project is the AppHost (azd refuses an AppHost next to other services).
/// </summary>
public sealed class AzureYamlTests
{
    [Fact]
    public void AzureYamlNamesTheAppHostProjectAsItsOnlyContainerAppService()
    {
        var yaml = File.ReadAllLines(Repository.Path("azure.yaml"));

        var services = yaml.SkipWhile(l => l.TrimEnd() != "services:").Skip(1)
            .TakeWhile(l => l.Length == 0 || l.StartsWith(' '))
            .Where(l => Regex.IsMatch(l, @"^  [^ #][^:]*:\s*$"))
            .ToList();
        Assert.Equal(["  app:"], services);
        Assert.Contains("    language: dotnet", yaml);
        Assert.Contains("    host: containerapp", yaml);

        var project = yaml.Select(l => Regex.Match(l, @"^    project:\s*(?<path>\S+)\s*$")).Single(m => m.Success).Groups["path"].Value;
        var projectPath = Repository.Path(project.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray());
        Assert.True(File.Exists(projectPath), $"azure.yaml names {project}, which does not exist");
        Assert.Equal(Projects.CrmToolkit_AppHost.ProjectPath, Path.GetDirectoryName(projectPath));
        Assert.Contains("Aspire.AppHost.Sdk", File.ReadAllText(projectPath), StringComparison.Ordinal);
    }

    [Fact]
    public void AzureYamlIsNamedAsAzdWouldNameTheProject()
    {
        var name = File.ReadAllLines(Repository.Path("azure.yaml"))
            .Select(l => Regex.Match(l, @"^name:\s*(?<name>\S+)\s*$")).Single(m => m.Success).Groups["name"].Value;

        // azd's rule for project names: lower-case letters, digits and hyphens, 2 to 63, not starting or ending with a hyphen.
        Assert.Matches(@"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])$", name);
    }
}

/// <summary>Files of this repository, found through the root the test project's build records.</summary>
internal static class Repository
{
    public static string Root { get; } = Metadata("RepositoryRoot");

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static IReadOnlyList<string> BicepFiles() =>
        Directory.EnumerateFiles(Path("infra"), "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

    public static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"The test assembly has no metadata {key}: build it with its project file.");
}

/// <summary>
/// The Bicep CLI of the NuGet package <c>Azure.Bicep.CommandLine.linux-x64</c>, which the test project restores
/// (its path is in the assembly's metadata). Diagnostics are read as SARIF, so a warning is as visible as an error.
/// </summary>
internal static class Bicep
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private static readonly Lazy<string> Executable = new(FindExecutable);
    private static readonly Dictionary<string, Task<Build>> Builds = [];

    public sealed record Build(int ExitCode, string StandardOutput, string StandardError, IReadOnlyList<string> Diagnostics);

    /// <summary><c>bicep build --stdout</c>: the ARM template on standard output, the diagnostics on standard error. One run a file.</summary>
    public static Task<Build> BuildAsync(string file)
    {
        lock (Builds)
        {
            if (!Builds.TryGetValue(file, out var build))
            {
                build = RunBuildAsync(file);
                Builds[file] = build;
            }

            return build;
        }
    }

    public static async Task<(int ExitCode, IReadOnlyList<string> Diagnostics, string Output)> LintAsync(string file)
    {
        // lint writes its SARIF log to standard output (build, whose standard output is the template, to standard error).
        var result = await RunAsync("lint", file, "--diagnostics-format", "sarif");
        return (result.ExitCode, ParseSarif(result.StandardOutput), result.Output);
    }

    private static async Task<Build> RunBuildAsync(string file)
    {
        var result = await RunAsync("build", file, "--stdout", "--diagnostics-format", "sarif");
        return new Build(result.ExitCode, result.StandardOutput, result.StandardError, ParseSarif(result.StandardError));
    }

    private static Task<TestProcess.Result> RunAsync(params string[] arguments) =>
        TestProcess.RunAsync(new ProcessStartInfo(Executable.Value, arguments) { WorkingDirectory = Repository.Root }, Timeout);

    /// <summary>Every result of every SARIF log in <paramref name="text"/>, as "file(line): rule: message".</summary>
    private static List<string> ParseSarif(string text)
    {
        var diagnostics = new List<string>();
        var start = text.IndexOf('{', StringComparison.Ordinal);
        if (start < 0)
        {
            Assert.Fail($"Bicep wrote no SARIF log: {text}");
        }

        using var log = JsonDocument.Parse(text[start..]);
        foreach (var run in log.RootElement.GetProperty("runs").EnumerateArray())
        {
            foreach (var result in run.GetProperty("results").EnumerateArray())
            {
                var location = "";
                if (result.TryGetProperty("locations", out var locations) && locations.GetArrayLength() > 0)
                {
                    var physical = locations[0].GetProperty("physicalLocation");
                    var path = new Uri(physical.GetProperty("artifactLocation").GetProperty("uri").GetString()!).LocalPath;
                    location = $"{System.IO.Path.GetRelativePath(Repository.Root, path)}({physical.GetProperty("region").GetProperty("startLine").GetInt32()})";
                }

                diagnostics.Add($"{location}: {result.GetProperty("ruleId").GetString()}: {result.GetProperty("message").GetProperty("text").GetString()}");
            }
        }

        return diagnostics;
    }

    private static string FindExecutable()
    {
        var package = Repository.Metadata("BicepPackageDirectory");
        var bicep = System.IO.Path.Combine(package, "tools", "bicep");
        Assert.True(File.Exists(bicep), $"{bicep} is missing: restore the test project (dotnet restore) to get the package Azure.Bicep.CommandLine.linux-x64.");

        Assert.True(OperatingSystem.IsLinux(), "The Bicep CLI package the tests restore is the linux-x64 one.");

        // NuGet does not promise to keep the executable bit of a file in a package.
        if (OperatingSystem.IsLinux() && (File.GetUnixFileMode(bicep) & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(bicep, File.GetUnixFileMode(bicep) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return bicep;
    }
}
