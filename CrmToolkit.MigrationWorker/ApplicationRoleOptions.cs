using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.MigrationWorker;

/// <summary>
/// The login role the API connects as (configuration section <c>Crm:AppRole</c>), validated at start. When the API's
/// own connection string <c>ConnectionStrings:crmapp</c> is configured (the AppHost passes it), its user name and
/// password are the role's.
/// </summary>
public sealed class ApplicationRoleOptions
{
    public const string Section = "Crm:AppRole";

    /// <summary>The name of the API's connection string, whose user name and password are the role's when it is set.</summary>
    public const string AppConnectionName = "crmapp";

    /// <summary>A plain lower-case identifier: the worker splices it into DDL.</summary>
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "Crm:AppRole:Name must be a plain lower-case identifier.")]
    public string Name { get; set; } = "crm_app";

    /// <summary>
    /// With a password the worker makes the role log in with it; without one (a pipeline that has only the owner's
    /// connection string) it creates the role without LOGIN and says how to give it a password.
    /// </summary>
    public string? Password { get; set; }
}
