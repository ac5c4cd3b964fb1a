using System.Reflection;
using CrmToolkit.Data;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CrmToolkit.Api.Infrastructure;

/// <summary>
/// Building the API writes its OpenAPI document (<c>Microsoft.Extensions.ApiDescription.Server</c>): the build's
/// generator, GetDocument.Insider, runs this entry point with a server that never listens, waits for the app to start,
/// reads the endpoints and exits.
/// </summary>
internal static class BuildTimeOpenApi
{
    /// <summary>Whether the build's generator is running the app (the check its documentation shows).</summary>
    public static bool IsGenerating { get; } = Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";

    /// <summary>
    /// Nothing runs in the background (the mail sender, the session purge, Data Protection's key ring would each reach
    /// for the database) and the database's connection string, validated at start, gets a stand-in that nothing opens.
    /// Every service stays registered: minimal APIs tell a service parameter from a body by what is registered.
    /// </summary>
    public static void DescribeOnly(this IHostApplicationBuilder builder)
    {
        builder.Configuration[$"ConnectionStrings:{CrmDataExtensions.ConnectionName}"] = "Host=localhost";
        builder.Services.RemoveAll<IHostedService>();
    }
}
