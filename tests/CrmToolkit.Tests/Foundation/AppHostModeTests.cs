using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Foundation;

/// <summary>
/// The AppHost as a program: when no PostgreSQL mode can work, or a setting cannot, it exits at once with one message
/// that says what to do, instead of waiting forever. Runs the built AppHost itself; nothing starts.
/// </summary>
public sealed class AppHostModeTests
{
    [Theory]
    [InlineData("--Postgres:Mode=local --Postgres:BinDirectory=/nonexistent", "Postgres:BinDirectory is '/nonexistent'")]
    [InlineData("--Postgres:Mode=existing --ConnectionStrings:crm=", "no connection string 'ConnectionStrings:crm' is configured")]
    [InlineData("--Postgres:Mode=cloud", "Postgres:Mode 'cloud' is not one of: auto, existing, container, local")]
    [InlineData("--Api:Replicas=0", "Api:Replicas '0' is not a whole number of at least 1")]
    [InlineData("--Postgres:CitusWorkers=two", "Postgres:CitusWorkers 'two' is not a whole number of at least 0")]
    [InlineData("--Postgres:CitusWorkers=-1", "Postgres:CitusWorkers '-1' is not a whole number of at least 0")]
    [InlineData("--Postgres:Mode=container --Postgres:CitusWorkers=2", "Postgres:CitusWorkers is 2, which needs local mode")]
    public async Task AnImpossibleSettingExitsAtOnceWithOneMessage(string arguments, string message)
    {
        var (exitCode, stdout, stderr) = await AppHostProgram.RunAsync(arguments);

        Assert.Equal(1, exitCode);
        Assert.Contains(message, stderr);
        Assert.DoesNotContain("   at ", stderr); // a message, not a stack trace
        Assert.DoesNotContain("Distributed application started", stdout);
    }
}
