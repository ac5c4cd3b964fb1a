using System.Diagnostics;
using System.Text.Json;
using CrmToolkit.Tests.Deployment;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// clients/typescript (openapi-typescript's types, openapi-fetch at run time): its types are generated from the
/// checked-in docs/openapi.json, it type-checks, and its smoke script works against the running API.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class TypeScriptClientTests(AppFixture app)
{
    private static readonly string Client = Repository.Path("clients", "typescript");
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);
    private static readonly Lazy<Task> Installed = new(InstallAsync);

    [Fact]
    public async Task TheClientsTypesAreGeneratedFromTheCheckedInDocument()
    {
        await Installed.Value;
        var generated = Path.Combine(Path.GetTempPath(), $"crm-schema-{Guid.NewGuid():N}.d.ts");
        try
        {
            await RunAsync("node", "node_modules/openapi-typescript/bin/cli.js", "../../docs/openapi.json", "--output", generated);

            Assert.True(File.ReadAllText(generated) == File.ReadAllText(Path.Combine(Client, "src", "schema.d.ts")),
                "clients/typescript/src/schema.d.ts is not generated from docs/openapi.json: run `npm run generate` in clients/typescript.");
        }
        finally
        {
            File.Delete(generated);
        }
    }

    [Fact]
    public async Task TheClientTypeChecks()
    {
        await Installed.Value;

        await RunAsync("npm", "run", "typecheck");
    }

    [Fact]
    public async Task TheSmokeScriptRegistersReadsMeAndPagesContactsOfTheRunningApi()
    {
        await Installed.Value;

        // The README's command: compiles, then runs dist/smoke.js, which prints one JSON line last.
        var output = (await RunAsync("npm", "run", "smoke", "--", app.ApiAddress.ToString().TrimEnd('/'))).StandardOutput;

        using var seen = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var root = seen.RootElement;
        Assert.Matches("^smoke-.+@example\\.com$", root.GetProperty("email").GetString());
        Assert.True(root.GetProperty("workspace").GetBoolean(), output);
        Assert.Equal("owner", root.GetProperty("role").GetString());
        var pages = root.GetProperty("pages").EnumerateArray().Select(p => p.EnumerateArray().Select(c => c.GetString()).ToArray()).ToArray();
        Assert.Equal([["Ada", "Alan"], ["Grace"]], pages);
    }

    /// <summary><c>npm ci</c> when node_modules is missing or older than the lockfile: once for the test run.</summary>
    private static async Task InstallAsync()
    {
        var installed = Path.Combine(Client, "node_modules", ".package-lock.json");
        if (!File.Exists(installed) || File.GetLastWriteTimeUtc(installed) < File.GetLastWriteTimeUtc(Path.Combine(Client, "package-lock.json")))
        {
            await RunAsync(InstallTimeout, "npm", "ci", "--no-audit", "--no-fund");
        }
    }

    private static Task<TestProcess.Result> RunAsync(params string[] command) => RunAsync(ToolTimeout, command);

    private static async Task<TestProcess.Result> RunAsync(TimeSpan timeout, params string[] command)
    {
        try
        {
            return (await TestProcess.RunAsync(new ProcessStartInfo(command[0], command[1..]) { WorkingDirectory = Client }, timeout)).EnsureSuccess();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"The TypeScript client's test needs Node.js 18.17 or later with npm ('{command[0]}' did not start: {ex.Message}): sudo apt-get install -y nodejs npm", ex);
        }
    }
}
