using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Hosting.Postgres;

namespace CrmToolkit.Tests.Operations;

/// <summary>
/// The database reset commands exist only where dropping a database is a developer's own business: in run mode in
/// the Development environment, on a server the AppHost runs itself. Builds the AppHost's model without starting anything.
/// </summary>
public sealed class DatabaseResetCommandTests
{
    [Theory]
    [InlineData("Development", true)]
    [InlineData("Staging", false)]
    [InlineData("Production", false)]
    public async Task TheResetCommandsExistInDevelopmentOnly(string environment, bool offered)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
            ["--ConnectionStrings:crm=", "--Postgres:Mode=local"],
            (_, host) => host.EnvironmentName = environment);

        Assert.Equal(environment, builder.Environment.EnvironmentName);
        var commands = CommandsOf(builder, CrmDatabaseBuilderExtensions.DatabaseName);
        if (offered)
        {
            Assert.Contains(DatabaseResetCommands.ResetCommand, commands);
            Assert.Contains(DatabaseResetCommands.ResetAndSeedCommand, commands);
        }
        else
        {
            Assert.DoesNotContain(DatabaseResetCommands.ResetCommand, commands);
            Assert.DoesNotContain(DatabaseResetCommands.ResetAndSeedCommand, commands);
        }
    }

    [Fact]
    public async Task AnExistingServerHasNoResetCommandsEvenInDevelopment()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
            ["--ConnectionStrings:crm=Host=db.example.com;Database=crm;Username=owner;Password=secret", "--Postgres:Mode=existing"],
            (_, host) => host.EnvironmentName = "Development");

        var commands = CommandsOf(builder, CrmDatabaseBuilderExtensions.DatabaseName);
        Assert.DoesNotContain(DatabaseResetCommands.ResetCommand, commands);
        Assert.DoesNotContain(DatabaseResetCommands.ResetAndSeedCommand, commands);
    }

    [Fact]
    public async Task APublishedAppHasNoResetCommandsEvenInDevelopment()
    {
        var output = Directory.CreateTempSubdirectory("crm-publish-").FullName;
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
                ["--operation", "publish", "--step", "publish-manifest", "--output-path", output]);

            Assert.True(builder.ExecutionContext.IsPublishMode);
            Assert.Equal("Development", builder.Environment.EnvironmentName);
            var commands = CommandsOf(builder, CrmDatabaseBuilderExtensions.DatabaseName);
            Assert.DoesNotContain(DatabaseResetCommands.ResetCommand, commands);
            Assert.DoesNotContain(DatabaseResetCommands.ResetAndSeedCommand, commands);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static List<string> CommandsOf(IDistributedApplicationTestingBuilder builder, string resourceName) =>
        [.. builder.Resources.Single(r => r.Name == resourceName).Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name)];
}
