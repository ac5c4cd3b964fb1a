using Microsoft.Extensions.Configuration;

namespace CrmToolkit.AppHost.Postgres;

/// <summary>
/// The AppHost's <c>Postgres</c> configuration section. Read while the app model is built, before there is a service
/// provider to validate options with, so a value that cannot work is a <see cref="PostgresUnavailableException"/>: one
/// message, and the AppHost exits.
/// </summary>
public sealed record PostgresOptions(
    PostgresMode Mode,
    PostgresPublishMode PublishAs,
    string? BinDirectory,
    string DataDirectory,
    string RunAsUser,
    string? DataVolume)
{
    public const string Section = "Postgres";

    public static PostgresOptions From(IConfiguration configuration, string appHostDirectory)
    {
        var section = configuration.GetSection(Section);
        var dataDirectory = section["DataDirectory"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            // Beside CrmToolkit.sln, in the git-ignored .data/ folder.
            : Path.GetFullPath(Path.Combine(appHostDirectory, "..", ".data", "postgres"));

        return new PostgresOptions(
            Parse(section, "Mode", PostgresMode.Auto),
            Parse(section, "PublishAs", PostgresPublishMode.Managed),
            section["BinDirectory"],
            dataDirectory,
            section["RunAsUser"] ?? OsUser.DefaultName,
            section["DataVolume"]);
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
