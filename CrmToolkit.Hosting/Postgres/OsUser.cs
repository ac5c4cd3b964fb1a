using System.Diagnostics;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>
/// The operating-system user that initdb, postgres and pg_ctl run as. They refuse to run as root, so as root
/// they are re-executed through <c>setpriv</c> as an unprivileged user: setpriv keeps one PID, so the
/// orchestrator's stop signal reaches the server itself. Not root: the current user, and no wrapping.
/// Free of Aspire types: the tests' own servers and the bench use it too.
/// </summary>
public sealed record OsUser(string Name, int? Uid, int? Gid)
{
    public const string DefaultName = "postgres";

    /// <summary>
    /// <c>Postgres:RunAsUser</c> as an environment variable. The AppHost reads it through its configuration;
    /// programs without that configuration (the tests' own server, the bench) read it with <see cref="FromEnvironment"/>.
    /// </summary>
    public const string EnvironmentVariable = "Postgres__RunAsUser";

    /// <summary>The command and arguments to put before a program to run it as this user; empty when not root.</summary>
    public string[] CommandPrefix =>
        Uid is null ? [] : ["setpriv", $"--reuid={Uid}", $"--regid={Gid}", "--init-groups"];

    /// <summary>The command and arguments to put before a path to give it (and all in it) to this user; empty when not root.</summary>
    public string[] OwnPrefix => Uid is null ? [] : ["chown", "-R", $"{Uid}:{Gid}"];

    /// <summary>As root, <paramref name="configuredUser"/> (<see cref="DefaultName"/> when empty); null when that user does not exist.</summary>
    public static OsUser? ForServer(string? configuredUser)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return new OsUser(Environment.UserName, null, null);
        }

        var name = NameOrDefault(configuredUser);
        var uid = Id(name, "-u");
        var gid = Id(name, "-g");
        return uid is null || gid is null ? null : new OsUser(name, uid, gid);
    }

    /// <summary><see cref="ForServer"/> with <see cref="EnvironmentVariable"/>; throws with <see cref="MissingMessage"/> when that user does not exist.</summary>
    public static OsUser FromEnvironment()
    {
        var configuredUser = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return ForServer(configuredUser) ?? throw new InvalidOperationException(MissingMessage(configuredUser));
    }

    public static string MissingMessage(string? configuredUser)
    {
        var name = NameOrDefault(configuredUser);
        return $"This runs as root, and PostgreSQL refuses root: it runs the server as user '{name}', which does not exist. " +
            $"Create it ('useradd --system {name}') or set Postgres:RunAsUser (environment: {EnvironmentVariable}) to an existing unprivileged user.";
    }

    /// <summary>The command and leading arguments that run <paramref name="program"/> as this user.</summary>
    public (string Command, string[] Prefix) Wrap(string program) =>
        CommandPrefix is [var command, .. var rest] ? (command, [.. rest, program]) : (program, []);

    /// <summary>
    /// Runs <paramref name="program"/> as this user to its end, with <paramref name="standardInput"/> if any. A non-zero
    /// exit is an <see cref="InvalidOperationException"/> with what it wrote; cancelling kills it.
    /// </summary>
    public Task RunAsync(string program, IEnumerable<string> arguments, string? standardInput = null, CancellationToken cancellationToken = default)
    {
        var (command, prefix) = Wrap(program);
        return RunToEndAsync(Path.GetFileName(program), command, [.. prefix, .. arguments], standardInput, cancellationToken);
    }

    /// <summary>Gives this user a folder or file (and all in it) when running as root.</summary>
    public Task OwnAsync(string path, CancellationToken cancellationToken = default) =>
        OwnPrefix is [var command, .. var rest]
            ? RunToEndAsync(command, command, [.. rest, path], standardInput: null, cancellationToken)
            : Task.CompletedTask;

    private static string NameOrDefault(string? configuredUser) =>
        string.IsNullOrWhiteSpace(configuredUser) ? DefaultName : configuredUser;

    private static int? Id(string user, string flag)
    {
        using var process = Process.Start(new ProcessStartInfo("id", [flag, user])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true, // its "no such user" is not for the console
        })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 && int.TryParse(output.Trim(), out var id) ? id : null;
    }

    private static async Task RunToEndAsync(
        string name, string command, string[] arguments, string? standardInput, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments)
        {
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // initdb and postgres must be able to read their working directory; root's home is not readable.
            WorkingDirectory = "/",
        })!;
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), cancellationToken);
                process.StandardInput.Close();
            }

            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name} exited with code {process.ExitCode}: {(await error).Trim()} {(await output).Trim()}");
        }
    }
}
