using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace CrmToolkit.AppHost.Postgres;

/// <summary>Creates (initdb) and unlocks (superuser password) the local server's data directory.</summary>
internal static class LocalPostgresDataDirectory
{
    public static async Task PrepareAsync(
        LocalPostgresBinaries binaries, string dataDirectory, OsUser user, string password, ILogger logger, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        user.Own(dataDirectory);

        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            // The parameter is the source of truth: set it again (single-user mode, no network) in case it changed.
            var escaped = password.Replace("'", "''", StringComparison.Ordinal);
            await RunAsync(user, binaries.Postgres, ["--single", "-D", dataDirectory, LocalPostgresServerResource.SuperUser],
                $"ALTER ROLE {LocalPostgresServerResource.SuperUser} WITH PASSWORD '{escaped}';\n", cancellationToken);
            return;
        }

        logger.LogInformation("Initialising a new PostgreSQL data directory in {DataDirectory}", dataDirectory);
        var passwordFile = Path.Combine(dataDirectory, "..", $".pwfile-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            user.Own(passwordFile);
            await RunAsync(user, binaries.InitDb,
            [
                "-D", dataDirectory,
                "-U", LocalPostgresServerResource.SuperUser,
                $"--pwfile={passwordFile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ], standardInput: null, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private static async Task RunAsync(OsUser user, string program, string[] args, string? standardInput, CancellationToken cancellationToken)
    {
        var (command, prefix) = user.Wrap(program);
        var startInfo = new ProcessStartInfo(command, [.. prefix, .. args])
        {
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // initdb and postgres must be able to read their working directory; root's home is not readable.
            WorkingDirectory = "/",
        };
        using var process = Process.Start(startInfo)!;
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} exited with code {process.ExitCode}: {(await error).Trim()} {(await output).Trim()}");
        }
    }
}
