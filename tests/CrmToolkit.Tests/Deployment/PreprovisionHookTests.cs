using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Deployment;

/// <summary>
/// The preprovision hook that makes <c>azd up</c> one command (<c>infra/hooks/preprovision.sh</c> and <c>.ps1</c>),
/// without Azure: the bash hook run with no Azure CLI, and run against stand-ins for <c>az</c> and <c>azd</c>
/// (<c>fake-cli/</c>); and its wiring checked against the manifest, <c>infra/postgres.bicep</c> and
/// <c>azure.yaml</c>. The PowerShell hook is checked for the same wiring but not run: the machines that run these
/// tests have no PowerShell.
/// </summary>
public sealed partial class PreprovisionHookTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly string[] Hooks = ["preprovision.sh", "preprovision.ps1"];

    [Fact]
    public async Task WithoutTheAzureCliTheHookStopsWithOneLineThatSaysSo()
    {
        var emptyPath = Directory.CreateTempSubdirectory("crm-no-az-").FullName;
        try
        {
            var result = await RunHookAsync(emptyPath, stateDirectory: null);

            Assert.NotEqual(0, result.ExitCode);
            Assert.Equal("", result.StandardOutput);
            var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("preprovision: the Azure CLI ('az') is needed", line, StringComparison.Ordinal);
            Assert.Contains("install it", line, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(emptyPath, recursive: true);
        }
    }

    [Fact]
    public async Task TheHookDeploysTheServerOnceStoresBothConnectionStringsAndAfterAzdDownDeploysAgain()
    {
        var bin = Directory.CreateTempSubdirectory("crm-fake-cli-").FullName;
        var state = Directory.CreateTempSubdirectory("crm-fake-azure-").FullName;
        try
        {
            foreach (var tool in new[] { "az", "azd" })
            {
                var copy = Path.Combine(bin, tool);
                File.Copy(Repository.Path("tests", "CrmToolkit.Tests", "Deployment", "fake-cli", tool), copy);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }

            var path = $"{bin}:/usr/bin:/bin";

            // An empty environment: one deployment, with a new administrator password, and both parameters stored.
            var first = (await RunHookAsync(path, state)).EnsureSuccess();
            Assert.Equal(1, Deployments(state));
            var owner = Stored(state, "crm");
            var app = Stored(state, "crmapp");
            var ownerPassword = AssertConnectionString(owner, "crmowner");
            var appPassword = AssertConnectionString(app, "crm_app");
            Assert.NotEqual(ownerPassword, appPassword);
            using (var parameters = JsonDocument.Parse(File.ReadAllText(Path.Combine(state, "parameters.json"))))
            {
                var values = parameters.RootElement.GetProperty("parameters");
                Assert.Equal(ownerPassword, values.GetProperty("administratorLoginPassword").GetProperty("value").GetString());
                Assert.Equal("test-env", values.GetProperty("environmentName").GetProperty("value").GetString());
            }

            // The administrator password reaches az in a file, not on its command line; the hook prints neither password.
            var azCalls = string.Join('\n', File.ReadLines(Path.Combine(state, "calls")).Where(c => c.StartsWith("az ", StringComparison.Ordinal)));
            Assert.DoesNotContain(ownerPassword, azCalls, StringComparison.Ordinal);
            Assert.DoesNotContain(ownerPassword, first.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(appPassword, first.Output, StringComparison.Ordinal);

            // Again: the server and both parameters exist, so nothing changes.
            var second = (await RunHookAsync(path, state)).EnsureSuccess();
            Assert.Contains("nothing to do", second.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(1, Deployments(state));
            Assert.Equal(owner, Stored(state, "crm"));
            Assert.Equal(app, Stored(state, "crmapp"));

            // azd down deletes the server (the deployment record stays): the next azd up deploys it again, with new passwords.
            File.Delete(Path.Combine(state, "server"));
            (await RunHookAsync(path, state)).EnsureSuccess();
            Assert.Equal(2, Deployments(state));
            Assert.NotEqual(ownerPassword, AssertConnectionString(Stored(state, "crm"), "crmowner"));
            Assert.NotEqual(appPassword, AssertConnectionString(Stored(state, "crmapp"), "crm_app"));

            // A preview environment (a PostgreSQL container instead of the server) calls neither az nor azd.
            File.Delete(Path.Combine(state, "calls"));
            (await RunHookAsync(path, state, ("Postgres__PublishAs", "Container"))).EnsureSuccess();
            Assert.False(File.Exists(Path.Combine(state, "calls")));
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task BothHooksStoreExactlyTheDatabaseParametersTheManifestAsksFor()
    {
        var resources = await AppHostProgram.PublishManifestAsync();

        // The parameters whose connection strings the worker gets: what the managed server must provide.
        var database = resources.GetProperty("migrator").GetProperty("env").EnumerateObject()
            .Select(v => ConnectionStringReference().Match(v.Value.GetString() ?? ""))
            .Where(m => m.Success)
            .Select(m => m.Groups["resource"].Value)
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(["crm", "crmapp"], database.Order(StringComparer.Ordinal));
        var secrets = Azd.SecretParameters(resources);
        Assert.All(database, p => Assert.Contains(p, secrets));

        var expected = database.Select(Azd.ConfigKey).Order(StringComparer.Ordinal).ToList();
        foreach (var hook in Hooks)
        {
            var stored = ConfigKeys().Matches(await ReadHookAsync(hook)).Select(m => m.Value).Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.True(expected.SequenceEqual(stored), $"{hook} stores {string.Join(", ", stored)}; the manifest asks for {string.Join(", ", expected)}");
        }
    }

    [Fact]
    public async Task BothHooksReadOnlyOutputsAndPassOnlyParametersThePostgresTemplateHas()
    {
        var build = await Bicep.BuildAsync(Repository.Path("infra", "postgres.bicep"));
        Assert.True(build.ExitCode == 0, build.StandardError);
        using var template = JsonDocument.Parse(build.StandardOutput);
        var outputs = template.RootElement.GetProperty("outputs");
        var parameters = template.RootElement.GetProperty("parameters");
        var required = parameters.EnumerateObject().Where(p => !p.Value.TryGetProperty("defaultValue", out _)).Select(p => p.Name).ToList();

        foreach (var hook in Hooks)
        {
            var text = await ReadHookAsync(hook);
            var read = OutputReads().Matches(text).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
            Assert.Contains("CRM_CONNECTION_STRING_BASE", read);
            Assert.Contains("CRM_APP_CONNECTION_STRING_BASE", read);
            Assert.All(read, name => Assert.True(outputs.TryGetProperty(name, out _), $"{hook} reads output {name}, which infra/postgres.bicep does not have"));

            var passed = ParameterValues().Matches(text).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
            Assert.All(passed, name => Assert.True(parameters.TryGetProperty(name, out _), $"{hook} passes parameter {name}, which infra/postgres.bicep does not have"));
            Assert.All(required, name => Assert.True(passed.Contains(name), $"{hook} does not pass the required parameter {name}"));
            Assert.Contains("\"crm-postgres-", text.Replace('\'', '"'), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AzureYamlRunsTheHookBeforeProvisioningOnLinuxMacAndWindows()
    {
        var yaml = File.ReadAllText(Repository.Path("azure.yaml"));
        Assert.Matches(new Regex(@"^hooks:\s*\n  preprovision:\s*$", RegexOptions.Multiline), yaml);

        var hooks = AzureYamlHook().Matches(yaml).ToDictionary(m => m.Groups["platform"].Value, m => (Shell: m.Groups["shell"].Value, Run: m.Groups["run"].Value));
        Assert.Equal(("sh", "./infra/hooks/preprovision.sh"), hooks["posix"]);
        Assert.Equal(("pwsh", "./infra/hooks/preprovision.ps1"), hooks["windows"]);

        // On Linux and macOS azd runs the script itself: it must be executable, with a bash shebang.
        var script = Repository.Path("infra", "hooks", "preprovision.sh");
        Assert.True(OperatingSystem.IsWindows() || (File.GetUnixFileMode(script) & UnixFileMode.UserExecute) != 0, $"{script} is not executable");
        Assert.Equal("#!/usr/bin/env bash", File.ReadLines(script).First());
        Assert.True(File.Exists(Repository.Path("infra", "hooks", "preprovision.ps1")));
    }

    private static async Task<TestProcess.Result> RunHookAsync(string path, string? stateDirectory, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("/bin/bash", [Repository.Path("infra", "hooks", "preprovision.sh")]) { WorkingDirectory = Repository.Root };
        // Only what azd gives a hook (its environment's values) and a PATH of the test's choosing.
        start.Environment.Clear();
        start.Environment["PATH"] = path;
        start.Environment["HOME"] = Path.GetTempPath();
        start.Environment["AZURE_ENV_NAME"] = "test-env";
        start.Environment["AZURE_LOCATION"] = "westeurope";
        start.Environment["AZURE_SUBSCRIPTION_ID"] = "00000000-0000-0000-0000-000000000000";
        if (stateDirectory is not null)
        {
            start.Environment["FAKE_AZURE"] = stateDirectory;
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return await TestProcess.RunAsync(start, Timeout);
    }

    private static Task<string> ReadHookAsync(string name) => File.ReadAllTextAsync(Repository.Path("infra", "hooks", name));

    private static int Deployments(string state) =>
        File.ReadLines(Path.Combine(state, "calls")).Count(c => c.StartsWith("az deployment sub create", StringComparison.Ordinal));

    private static string Stored(string state, string parameter) => File.ReadAllText(Path.Combine(state, "config", Azd.ConfigKey(parameter)));

    /// <summary>Asserts a connection string to the deployment's server as <paramref name="user"/>; returns its password.</summary>
    private static string AssertConnectionString(string value, string user)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(value);
        Assert.Equal("psql-test.postgres.database.azure.com", builder.Host);
        Assert.Equal("crm", builder.Database);
        Assert.Equal(Npgsql.SslMode.Require, builder.SslMode);
        Assert.Equal(user, builder.Username);
        // What Azure asks of an administrator password, and nothing a connection string would have to quote.
        Assert.Matches("^(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])[A-Za-z0-9]{30}$", builder.Password);
        return builder.Password!;
    }

    [GeneratedRegex(@"^\{(?<resource>[a-z0-9-]+)\.connectionString\}$")]
    private static partial Regex ConnectionStringReference();

    [GeneratedRegex(@"infra\.parameters\.[A-Za-z0-9_]+")]
    private static partial Regex ConfigKeys();

    // bash: output NAME; PowerShell: Get-DeploymentOutput 'NAME'.
    [GeneratedRegex(@"(?:\boutput|Get-DeploymentOutput) '?(?<name>[A-Z][A-Z_]+)'?")]
    private static partial Regex OutputReads();

    // The deployment's parameters file: "name": { "value": ... }.
    [GeneratedRegex(@"""(?<name>\w+)"": \{ ""value""")]
    private static partial Regex ParameterValues();

    [GeneratedRegex(@"^    (?<platform>posix|windows):\s*\n      shell: (?<shell>\S+)\s*\n      run: (?<run>\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AzureYamlHook();
}
