using System.Net;
using System.Net.Sockets;

namespace CrmToolkit.Tests.Infrastructure;

public static class ProcessHelpers
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
