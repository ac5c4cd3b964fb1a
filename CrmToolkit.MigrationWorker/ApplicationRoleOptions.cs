using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.MigrationWorker;

/// <summary>The login role the API connects as (configuration section <c>Crm:AppRole</c>), validated at start.</summary>
public sealed class ApplicationRoleOptions
{
    public const string Section = "Crm:AppRole";

    /// <summary>A plain lower-case identifier: the worker splices it into DDL.</summary>
    [RegularExpression("^[a-z_][a-z0-9_]{0,62}$", ErrorMessage = "Crm:AppRole:Name must be a plain lower-case identifier.")]
    public string Name { get; set; } = "crm_app";

    /// <summary>When set (the AppHost passes the <c>crm-app-password</c> parameter), the worker creates or updates the role.</summary>
    public string? Password { get; set; }
}
