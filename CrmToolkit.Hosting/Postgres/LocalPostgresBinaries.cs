using System.Diagnostics;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>
/// The PostgreSQL server programs on this machine, all from one folder: <c>initdb</c> and <c>postgres</c> (the
/// AppHost's local mode), <c>pg_ctl</c> (the tests' own server and the bench). The one locator for all three,
/// free of Aspire types.
/// </summary>
public sealed record LocalPostgresBinaries(string BinDirectory)
{
    /// <summary>
    /// <c>Postgres:BinDirectory</c> as an environment variable. The AppHost reads it through its configuration;
    /// programs without that configuration (the tests' own server, the bench) read it with <see cref="FromEnvironment"/>.
    /// </summary>
    public const string EnvironmentVariable = "Postgres__BinDirectory";

    private const string DebianRoot = "/usr/lib/postgresql";
    private static readonly string Extension = OperatingSystem.IsWindows() ? ".exe" : "";
    private static readonly string[] Programs = ["initdb", "postgres", "pg_ctl"];

    public string InitDb => Program("initdb");
    public string Postgres => Program("postgres");
    public string PgCtl => Program("pg_ctl");

    /// <summary>
    /// Where these binaries find their extensions (<c>extension/*.control</c>): what <c>pg_config --sharedir</c> in this
    /// folder says; without pg_config, the first of the usual layouts that holds plpgsql (every server has it). Null when
    /// neither answers.
    /// </summary>
    public string? FindShareDirectory()
    {
        var pgConfig = Program("pg_config");
        if (File.Exists(pgConfig))
        {
            using var process = Process.Start(new ProcessStartInfo(pgConfig, ["--sharedir"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            if (process.ExitCode == 0 && Directory.Exists(output))
            {
                return output;
            }
        }

        // A source build's <prefix>/share/postgresql or <prefix>/share; Debian's /usr/share/postgresql/<major> beside
        // /usr/lib/postgresql/<major>/bin.
        var parent = Path.GetDirectoryName(BinDirectory) ?? BinDirectory;
        string[] candidates =
        [
            Path.Combine(parent, "share", "postgresql"),
            Path.Combine(parent, "share"),
            Path.Combine("/usr/share/postgresql", Path.GetFileName(parent)),
        ];
        return candidates.FirstOrDefault(dir => File.Exists(Path.Combine(dir, "extension", "plpgsql.control")));
    }

    /// <summary>Whether the extension <paramref name="name"/> is installed for these binaries (its control file is there).</summary>
    public bool HasExtension(string name) =>
        FindShareDirectory() is { } share && File.Exists(Path.Combine(share, "extension", name + ".control"));

    /// <summary>
    /// <paramref name="binDirectory"/> when set; else the first PATH entry with <c>postgres</c>; else the newest
    /// /usr/lib/postgresql/N/bin. Links are followed to the real folder of <c>postgres</c> (as Debian's
    /// /usr/local/bin links are), because initdb looks for postgres next to its own real path; that folder
    /// must hold all three programs. Null when none does.
    /// </summary>
    public static LocalPostgresBinaries? Find(string? binDirectory)
    {
        if (!string.IsNullOrWhiteSpace(binDirectory))
        {
            return InRealFolder(binDirectory);
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(InRealFolder)
            .FirstOrDefault(found => found is not null);
        if (onPath is not null || !Directory.Exists(DebianRoot))
        {
            return onPath;
        }

        return Directory.GetDirectories(DebianRoot)
            .Select(dir => (Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : -1, Bin: Path.Combine(dir, "bin")))
            .Where(x => x.Version > 0)
            .OrderByDescending(x => x.Version)
            .Select(x => InRealFolder(x.Bin))
            .FirstOrDefault(found => found is not null);
    }

    /// <summary><see cref="Find"/> with <see cref="EnvironmentVariable"/>; throws with <see cref="MissingMessage"/> when nothing is found.</summary>
    public static LocalPostgresBinaries FromEnvironment()
    {
        var binDirectory = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return Find(binDirectory) ?? throw new InvalidOperationException(MissingMessage(binDirectory));
    }

    public static string MissingMessage(string? binDirectory) =>
        !string.IsNullOrWhiteSpace(binDirectory)
            ? $"Postgres:BinDirectory is '{binDirectory}', but it does not contain all of 'initdb', 'postgres' and 'pg_ctl'. " +
              "Point it at the server's bin folder (Debian/Ubuntu: /usr/lib/postgresql/<version>/bin), or remove the setting."
            : $"No PostgreSQL server binaries (initdb, postgres, pg_ctl) were found on PATH or in {DebianRoot}/*/bin. " +
              "Install the PostgreSQL server (Debian/Ubuntu: 'sudo apt-get install postgresql'), " +
              $"or set Postgres:BinDirectory (environment: {EnvironmentVariable}) to its bin folder.";

    private string Program(string name) => Path.Combine(BinDirectory, name + Extension);

    private static LocalPostgresBinaries? InRealFolder(string directory)
    {
        var postgres = new FileInfo(Path.Combine(directory, "postgres" + Extension));
        if (!postgres.Exists)
        {
            return null;
        }

        var real = Path.GetDirectoryName(postgres.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? postgres.FullName)!;
        return Programs.All(program => File.Exists(Path.Combine(real, program + Extension))) ? new(real) : null;
    }
}
