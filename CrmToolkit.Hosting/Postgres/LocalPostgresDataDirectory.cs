using Microsoft.Extensions.Logging;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>
/// Creates (initdb) and unlocks (superuser password) a data directory of the local server: the AppHost's local mode
/// on every start, the tests' own servers once.
/// </summary>
public static class LocalPostgresDataDirectory
{
    /// <summary>The superuser that initdb creates; the password is set for it.</summary>
    public const string SuperUser = "postgres";

    /// <summary>
    /// Creates the data directory with <see cref="SuperUser"/> and <paramref name="password"/> when it holds no cluster
    /// yet; else sets that password again, in case it changed. Both run as <paramref name="user"/>, who owns the folder.
    /// </summary>
    public static async Task PrepareAsync(
        LocalPostgresBinaries binaries, string dataDirectory, OsUser user, string password, ILogger logger, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        await user.OwnAsync(dataDirectory, cancellationToken);

        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            // The parameter is the source of truth: set it again (single-user mode, no network) in case it changed.
            var escaped = password.Replace("'", "''", StringComparison.Ordinal);
            await user.RunAsync(binaries.Postgres, ["--single", "-D", dataDirectory, SuperUser],
                $"ALTER ROLE {SuperUser} WITH PASSWORD '{escaped}';\n", cancellationToken);
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

            await user.OwnAsync(passwordFile, cancellationToken);
            await user.RunAsync(binaries.InitDb,
            [
                "-D", dataDirectory,
                "-U", SuperUser,
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
}
