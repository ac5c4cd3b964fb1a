using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace CrmToolkit.Hosting;

/// <summary>
/// Asks the container runtime whether its engine answers. Aspire itself would wait forever for a missing
/// or stopped engine, so PostgreSQL and the mail catcher check first, with a short timeout.
/// </summary>
internal static class ContainerRuntime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static bool IsRunning(IConfiguration configuration, out string runtime)
    {
        // The same setting Aspire reads to choose between docker and podman.
        runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{json .}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            // Drain both pipes so that a chatty runtime cannot block on a full buffer.
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
