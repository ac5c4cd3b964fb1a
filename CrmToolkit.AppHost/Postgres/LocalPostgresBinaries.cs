namespace CrmToolkit.AppHost.Postgres;

/// <summary>The PostgreSQL server programs the local mode needs: <c>initdb</c> and <c>postgres</c>.</summary>
internal sealed record LocalPostgresBinaries(string BinDirectory)
{
    private static readonly string Extension = OperatingSystem.IsWindows() ? ".exe" : "";

    public string InitDb => Path.Combine(BinDirectory, "initdb" + Extension);
    public string Postgres => Path.Combine(BinDirectory, "postgres" + Extension);

    /// <summary>
    /// <c>Postgres:BinDirectory</c> when set; else the first PATH entry with both programs (following
    /// symlinks, as Debian's /usr/local/bin links do); else the newest /usr/lib/postgresql/N/bin.
    /// </summary>
    public static LocalPostgresBinaries? Find(PostgresSettings settings)
    {
        if (!string.IsNullOrWhiteSpace(settings.BinDirectory))
        {
            return HasServer(settings.BinDirectory) ? new(settings.BinDirectory) : null;
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(HasServer);
        if (onPath is not null)
        {
            // initdb finds postgres next to its own real path, so resolve links to the real bin folder.
            var real = new FileInfo(Path.Combine(onPath, "postgres" + Extension)).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            return new(real is null ? onPath : Path.GetDirectoryName(real)!);
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }

        return Directory.GetDirectories(debianRoot)
            .Select(dir => (Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : -1, Bin: Path.Combine(dir, "bin")))
            .Where(x => x.Version > 0 && HasServer(x.Bin))
            .OrderByDescending(x => x.Version)
            .Select(x => new LocalPostgresBinaries(x.Bin))
            .FirstOrDefault();
    }

    public static string MissingMessage(PostgresSettings settings) =>
        settings.BinDirectory is { Length: > 0 } dir
            ? $"Postgres:BinDirectory is '{dir}', but it does not contain both 'initdb' and 'postgres'."
            : "Postgres:Mode is 'local' but no PostgreSQL server binaries (initdb, postgres) were found on PATH or in /usr/lib/postgresql/*/bin. " +
              "Install the PostgreSQL server (Debian/Ubuntu: 'sudo apt-get install postgresql') or set Postgres:BinDirectory.";

    private static bool HasServer(string directory) =>
        File.Exists(Path.Combine(directory, "initdb" + Extension)) && File.Exists(Path.Combine(directory, "postgres" + Extension));
}
