using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Foundation;

/// <summary>
/// Run by the AppHost with one replica, the API is reached without the orchestrator's proxy in between, so its
/// per-address limits and fair password hashing see each client's own address; with several replicas the proxy
/// balances them (and every client then has the proxy's address: docs/architecture.md).
/// </summary>
public sealed class ClientAddressTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("1", false)]
    [InlineData("2", true)]
    public async Task TheApiIsBehindTheOrchestratorsProxyOnlyWithSeveralReplicas(string? replicas, bool proxied)
    {
        var dataDirectory = TestAppHost.NewDataDirectory();
        string[] arguments = [.. TestAppHost.IsolatedArguments(dataDirectory), .. replicas is null ? Array.Empty<string>() : [$"--Api:Replicas={replicas}"]];
        using var cts = new CancellationTokenSource(TestAppHost.StartTimeout);
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(arguments, cts.Token);

        var api = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "api");
        var http = api.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");

        Assert.Equal(proxied, http.IsProxied);
        Assert.Equal(5480, http.Port);
        if (!proxied)
        {
            Assert.Equal(5480, http.TargetPort); // the API itself listens on the contract's port
        }
    }
}
