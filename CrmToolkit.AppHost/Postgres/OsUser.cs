using System.Diagnostics;

namespace CrmToolkit.AppHost.Postgres;

/// <summary>
/// The operating-system user that initdb and postgres run as. They refuse to run as root, so as root the
/// AppHost re-executes them through <c>setpriv</c> as an unprivileged user: setpriv keeps one PID, so the
/// orchestrator's stop signal reaches the server itself.
/// </summary>
internal sealed record OsUser(string Name, int? Uid, int? Gid)
{
    public static OsUser ForServer(string configuredUser)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return new OsUser(Environment.UserName, null, null);
        }

        var uid = Id(configuredUser, "-u");
        var gid = Id(configuredUser, "-g");
        if (uid is null || gid is null)
        {
            throw new PostgresUnavailableException(
                $"The AppHost runs as root, and PostgreSQL refuses root; it runs the server as user '{configuredUser}', which does not exist. " +
                $"Create it ('useradd --system {configuredUser}') or set Postgres:RunAsUser to an existing unprivileged user.");
        }

        return new OsUser(configuredUser, uid, gid);
    }

    /// <summary>The command and leading arguments that run <paramref name="program"/> as this user.</summary>
    public (string Command, string[] Prefix) Wrap(string program) =>
        Uid is null ? (program, []) : ("setpriv", [$"--reuid={Uid}", $"--regid={Gid}", "--init-groups", program]);

    /// <summary>Gives this user a folder (and all in it) when running as root.</summary>
    public void Own(string path)
    {
        if (Uid is not null)
        {
            Run("chown", ["-R", $"{Uid}:{Gid}", path]);
        }
    }

    private static int? Id(string user, string flag)
    {
        try
        {
            var output = Run("id", [flag, user]);
            return int.TryParse(output.Trim(), out var id) ? id : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Run(string program, string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{program} failed: {error.Trim()}");
    }
}
