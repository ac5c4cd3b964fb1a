using Aspire.Hosting;
using System.Net;
using System.Net.Sockets;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>The build output of a project of this solution, in the configuration the tests were built in.</summary>
public static class BuildOutput
{
    public static string Dll<TProject>() where TProject : IProjectMetadata, new()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory); // .../bin/<Configuration>/<tfm>/
        var projectPath = new TProject().ProjectPath;
        var directory = Path.GetDirectoryName(projectPath)!;
        return Path.Combine(directory, "bin", testBin.Parent!.Name, testBin.Name, Path.GetFileNameWithoutExtension(projectPath) + ".dll");
    }
}

public static class ProcessHelpers
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
