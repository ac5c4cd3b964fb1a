using CrmToolkit.Hosting.Postgres;

namespace CrmToolkit.Tests.Citus;

/// <summary>
/// A fact that needs the <c>citus</c> extension in the local PostgreSQL (the binaries the AppHost's local mode runs):
/// skipped with one line naming the script that installs it, so <c>dotnet test</c> stays green on a machine without it.
/// </summary>
public sealed class CitusFactAttribute : FactAttribute
{
    public const string SkipReason = "Citus is not installed in the local PostgreSQL: run scripts/install-citus.sh.";

    private static readonly Lazy<bool> Installed = new(() =>
        LocalPostgresBinaries.Find(Environment.GetEnvironmentVariable(LocalPostgresBinaries.EnvironmentVariable))?.HasExtension(CitusCluster.Extension) == true);

    public CitusFactAttribute()
    {
        if (!IsInstalled)
        {
            Skip = SkipReason;
        }
    }

    public static bool IsInstalled => Installed.Value;
}
