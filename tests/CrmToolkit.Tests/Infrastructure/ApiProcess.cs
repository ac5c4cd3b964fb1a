using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// One more instance of the API, run from its build output beside the AppHost's, against the same database
/// as the application role, with settings of the test's choosing.
/// </summary>
public sealed class ApiProcess : IDisposable
{
    private readonly Process _process;

    private ApiProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public ApiClient NewClient() => new(Address);

    public static async Task<ApiProcess> StartAsync(AppFixture app, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var testBin = new DirectoryInfo(AppContext.BaseDirectory);
        var apiDirectory = Path.GetDirectoryName(new Projects.CrmToolkit_Api().ProjectPath)!;
        var apiDll = Path.Combine(apiDirectory, "bin", testBin.Parent!.Name, testBin.Name, "CrmToolkit.Api.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{apiDll}\" --urls http://127.0.0.1:{port}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = apiDirectory,
        };
        start.Environment["ConnectionStrings__crm"] = app.AppConnectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Auth__Sessions__PurgeInterval"] = AppFixture.PurgeInterval.ToString();
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var api = new ApiProcess(process, new Uri($"http://127.0.0.1:{port}"));

        using var client = api.NewClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await client.GetAsync("/health")).StatusCode == HttpStatusCode.OK)
                {
                    return api;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                api.Dispose();
                throw new TimeoutException("The API instance did not become healthy within 60 s.");
            }

            await Task.Delay(250);
        }
    }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
