using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Hosting.Postgres;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Citus;

/// <summary>
/// The AppHost's model with and without <c>Postgres:CitusWorkers</c>, built and never started: by default exactly the one
/// plain server of before; with workers, a server per node that loads Citus, on a data directory of its own.
/// </summary>
public sealed class CitusTopologyModelTests
{
    [Fact]
    public async Task WithoutCitusWorkersTheLocalServerIsOnePlainPostgreSql()
    {
        var dataDirectory = TestAppHost.NewDataDirectory();
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
            [.. TestAppHost.IsolatedArguments(dataDirectory), "--Postgres:Mode=local"]);

        var servers = builder.Resources.OfType<LocalPostgresServerResource>().ToList();
        var server = Assert.Single(servers);
        Assert.Equal(CrmDatabaseBuilderExtensions.ServerName, server.Name);
        Assert.Equal(dataDirectory, server.WorkingDirectory);
        var args = await ArgsAsync(server);
        Assert.DoesNotContain(args, a => a.Contains(CitusCluster.Extension, StringComparison.Ordinal));
        // postgres itself (through setpriv as root), no shell in front that changes how it stops.
        Assert.DoesNotContain("/bin/sh", args.Prepend(server.Command));
    }

    [CitusFact]
    [Trait("Category", "Citus")]
    public async Task TwoCitusWorkersAreTwoMoreServersThatLoadCitusOnDataDirectoriesOfTheirOwn()
    {
        var dataDirectory = TestAppHost.NewDataDirectory();
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
            [.. TestAppHost.IsolatedArguments(dataDirectory), "--Postgres:Mode=local", "--Postgres:CitusWorkers=2"]);

        var servers = builder.Resources.OfType<LocalPostgresServerResource>().ToDictionary(s => s.Name);
        Assert.Equal(["postgres", "postgres-worker-1", "postgres-worker-2"], servers.Keys.Order());
        Assert.Equal(dataDirectory, servers["postgres"].WorkingDirectory);
        Assert.Equal($"{dataDirectory}-worker-1", servers["postgres-worker-1"].WorkingDirectory);
        Assert.Equal($"{dataDirectory}-worker-2", servers["postgres-worker-2"].WorkingDirectory);
        foreach (var server in servers.Values)
        {
            Assert.Contains("shared_preload_libraries=citus", await ArgsAsync(server));
            Assert.Contains(server.Annotations.OfType<ManifestPublishingCallbackAnnotation>(), a => a.Callback is null);
        }

        // The crm database (and with it the migrator's connection string) stays on the coordinator.
        var crm = builder.Resources.OfType<LocalPostgresDatabaseResource>().Single();
        Assert.Same(servers["postgres"], crm.Parent);
    }

    private static async Task<List<string>> ArgsAsync(IResourceWithArgs resource)
    {
        var args = new List<object>();
        foreach (var annotation in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await annotation.Callback(new CommandLineArgsCallbackContext(args, CancellationToken.None));
        }

        return [.. args.Select(a => a.ToString()!)];
    }
}
