namespace CrmToolkit.MigrationWorker;

/// <summary>The worker's own behaviour (configuration section <c>Migrations</c>).</summary>
public sealed class MigrationOptions
{
    public const string Section = "Migrations";

    /// <summary>
    /// After a successful migration, stay running (idle) instead of exiting: where the platform restarts a process that
    /// exits (an Azure Container App), so that it migrates once per deployment rather than over and over. A failure
    /// still exits non-zero, and the platform's restart retries it. The AppHost sets it in the published app.
    /// </summary>
    public bool IdleAfterSuccess { get; set; }
}
