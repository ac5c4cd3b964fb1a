using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Features.Workspaces;

/// <summary>Workspaces (configuration section <c>Workspaces</c>), validated at start.</summary>
public sealed class WorkspaceOptions
{
    public const string Section = "Workspaces";

    /// <summary>Workspaces one user may create per hour (<c>POST /workspaces</c>); beyond, 429 with <c>Retry-After</c>.</summary>
    [Range(1, 100_000)]
    public int PerUserPerHour { get; set; } = 10;
}
