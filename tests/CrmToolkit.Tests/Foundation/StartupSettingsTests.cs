using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Foundation;

/// <summary>
/// A setting that fails its validation stops the API and the worker at start with one line that names it, not with
/// the host's failure log and a stack trace. Runs the built programs; they stop before connecting anywhere.
/// </summary>
public sealed class StartupSettingsTests
{
    public static TheoryData<string> Programs => ["api", "worker"];

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task ABadSettingStopsTheProgramWithOneLineThatNamesIt(string program)
    {
        var dll = program == "api" ? BuildOutput.Dll<Projects.CrmToolkit_Api>() : BuildOutput.Dll<Projects.CrmToolkit_MigrationWorker>();

        var (exitCode, log) = await TestProcess.RunAsync(
            TestProcess.Dotnet(dll, [], new Dictionary<string, string>
            {
                ["ConnectionStrings__crm"] = "Host=127.0.0.1;Port=1;Username=nobody;Password=unused;Database=crm",
                ["Crm__Data__MaxRetryCount"] = "99",
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            }),
            TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Single(log.Split('\n'), line => line.Contains("MaxRetryCount", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", log);
        Assert.DoesNotContain("Password=unused", log);
    }
}
