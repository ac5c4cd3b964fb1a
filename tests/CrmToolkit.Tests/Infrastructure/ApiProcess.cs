using System.Net;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// One more instance of the API, run from its build output beside the AppHost's, as the application role, with
/// settings of the test's choosing: against the AppHost's database, or a server the test controls.
/// </summary>
public sealed class ApiProcess : IDisposable
{
    private static readonly TimeSpan OutputTimeout = TimeSpan.FromSeconds(10);

    private readonly TestProcess _process;
    private readonly Npgsql.NpgsqlDataSource? _owner;

    private ApiProcess(TestProcess process, Uri address, Npgsql.NpgsqlDataSource? owner)
    {
        _process = process;
        Address = address;
        _owner = owner;
    }

    public Uri Address { get; }

    public bool HasExited => _process.HasExited;

    public ApiClient NewClient() => new(Address, owner: _owner);

    /// <summary>Against the AppHost's database; returns once <c>/health</c> is healthy.</summary>
    public static Task<ApiProcess> StartAsync(AppFixture app, IReadOnlyDictionary<string, string>? settings = null) =>
        StartAsync(app.AppConnectionString, settings, readyPath: "/health", app.Database);

    /// <summary>
    /// Against <paramref name="connectionString"/>; returns once <paramref name="readyPath"/> answers 200
    /// (<c>/alive</c> for an API whose database is down).
    /// </summary>
    public static async Task<ApiProcess> StartAsync(
        string connectionString, IReadOnlyDictionary<string, string>? settings, string readyPath, Npgsql.NpgsqlDataSource? owner = null)
    {
        var port = ProcessHelpers.FreePort();
        var apiDll = BuildOutput.Dll<Projects.CrmToolkit_Api>();
        var start = TestProcess.Dotnet(apiDll, ["--urls", $"http://127.0.0.1:{port}"]);
        start.Environment["ConnectionStrings__crm"] = connectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Auth__Sessions__PurgeInterval"] = AppFixture.PurgeInterval.ToString();
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var api = new ApiProcess(TestProcess.Start(start), new Uri($"http://127.0.0.1:{port}"), owner);
        using var client = api.NewClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !api.HasExited)
        {
            try
            {
                if ((await client.GetAsync(readyPath)).StatusCode == HttpStatusCode.OK)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(250);
        }

        var output = api.HasExited ? (await api._process.WaitForExitAsync(OutputTimeout)).Output : "(still running)";
        api.Dispose();
        throw new TimeoutException($"The API instance did not answer 200 on {readyPath} within 60 s. Output: {output}");
    }

    /// <summary>SIGTERM, as an orchestrator stops a process; the exit code and everything the API wrote.</summary>
    public async Task<(int ExitCode, string Output)> StopAsync(TimeSpan timeout)
    {
        await _process.TerminateAsync();
        var (exitCode, output) = await _process.WaitForExitAsync(timeout);
        return (exitCode, output);
    }

    public void Dispose() => _process.Dispose();
}
