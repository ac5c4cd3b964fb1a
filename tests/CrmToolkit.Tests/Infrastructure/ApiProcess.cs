using System.Diagnostics;
using System.Net;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// One more instance of the API, run from its build output beside the AppHost's, as the application role, with
/// settings of the test's choosing: against the AppHost's database, or a server the test controls.
/// </summary>
public sealed class ApiProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _output;

    private ApiProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        _output = Task.WhenAll(output, errors).ContinueWith(_ => output.Result + errors.Result, TaskScheduler.Default);
    }

    public Uri Address { get; }

    public bool HasExited => _process.HasExited;

    public ApiClient NewClient() => new(Address);

    /// <summary>Against the AppHost's database; returns once <c>/health</c> is healthy.</summary>
    public static Task<ApiProcess> StartAsync(AppFixture app, IReadOnlyDictionary<string, string>? settings = null) =>
        StartAsync(app.AppConnectionString, settings, readyPath: "/health");

    /// <summary>
    /// Against <paramref name="connectionString"/>; returns once <paramref name="readyPath"/> answers 200
    /// (<c>/alive</c> for an API whose database is down).
    /// </summary>
    public static async Task<ApiProcess> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings, string readyPath)
    {
        var port = ProcessHelpers.FreePort();
        var apiDll = BuildOutput.Dll<Projects.CrmToolkit_Api>();
        var start = new ProcessStartInfo("dotnet", [apiDll, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(apiDll)!,
        };
        start.Environment["ConnectionStrings__crm"] = connectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Auth__Sessions__PurgeInterval"] = AppFixture.PurgeInterval.ToString();
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var api = new ApiProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
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

        var output = api.HasExited ? await api._output : "(still running)";
        api.Dispose();
        throw new TimeoutException($"The API instance did not answer 200 on {readyPath} within 60 s. Output: {output}");
    }

    /// <summary>SIGTERM, as an orchestrator stops a process; the exit code and everything the API wrote.</summary>
    public async Task<(int ExitCode, string Output)> StopAsync(TimeSpan timeout)
    {
        await ProcessHelpers.TerminateAsync(_process);
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return (_process.ExitCode, await _output);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
