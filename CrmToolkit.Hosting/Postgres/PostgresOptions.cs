using Microsoft.Extensions.Configuration;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>Where the AppHost gets PostgreSQL from. Forced with <c>Postgres:Mode</c>; <see cref="Auto"/> by default.</summary>
public enum PostgresMode
{
    /// <summary>The first that works of <see cref="Existing"/>, <see cref="Container"/>, <see cref="Local"/>.</summary>
    Auto,

    /// <summary>A server you already run, named by the connection string <c>ConnectionStrings:crm</c>.</summary>
    Existing,

    /// <summary>Aspire's PostgreSQL container (needs a running container runtime).</summary>
    Container,

    /// <summary>The PostgreSQL server binaries on this machine, run by the AppHost.</summary>
    Local,
}

/// <summary>What a published app (the manifest azd deploys) uses as its database. Chosen with <c>Postgres:PublishAs</c>.</summary>
internal enum PostgresPublishMode
{
    /// <summary>
    /// A managed server (Azure Database for PostgreSQL flexible server, <c>infra/postgres.bicep</c>): the owner's and the
    /// application role's connection strings are secret parameters that <c>azd up</c> asks for.
    /// </summary>
    Managed,

    /// <summary>
    /// A throw-away PostgreSQL container for preview environments, without a volume: its data is gone when its
    /// container restarts (an Azure Files volume cannot hold a data directory: initdb cannot chmod it).
    /// </summary>
    Container,
}

/// <summary>
/// The AppHost's <c>Postgres</c> configuration section. Read while the app model is built, before there is a service
/// provider to validate options with, so a value that cannot work is a <see cref="PostgresUnavailableException"/>: one
/// message, and the AppHost exits.
/// </summary>
internal sealed record PostgresOptions(
    PostgresMode Mode,
    PostgresPublishMode PublishAs,
    string? BinDirectory,
    string DataDirectory,
    string? RunAsUser,
    string? DataVolume,
    int CitusWorkers)
{
    public static PostgresOptions From(IConfiguration configuration, string appHostDirectory)
    {
        var section = configuration.GetSection("Postgres");
        var dataDirectory = section["DataDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            // Beside CrmToolkit.sln, in the git-ignored .data/ folder.
            : Path.GetFullPath(Path.Combine(appHostDirectory, "..", ".data", "postgres"));

        return new PostgresOptions(
            Parse(section, "Mode", PostgresMode.Auto),
            Parse(section, "PublishAs", PostgresPublishMode.Managed),
            section["BinDirectory"],
            dataDirectory,
            section["RunAsUser"],
            section["DataVolume"],
            ParseCitusWorkers(section));
    }

    // 0 (the default) is one plain PostgreSQL; N > 0 a Citus coordinator and N workers (local mode only).
    private static int ParseCitusWorkers(IConfigurationSection section)
    {
        var text = section["CitusWorkers"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return 0;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var workers)
            ? workers
            : throw new PostgresUnavailableException(
                $"Postgres:CitusWorkers '{text}' is not a whole number of at least 0 (0: one plain PostgreSQL; N: a Citus coordinator and N workers).");
    }

    private static T Parse<T>(IConfigurationSection section, string key, T fallback) where T : struct, Enum
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new PostgresUnavailableException(
                $"Postgres:{key} '{text}' is not one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
    }
}
