namespace CrmToolkit.Data.Entities;

/// <summary>
/// Marks an entity whose rows belong to exactly one workspace (a <c>workspace_id</c> column that references
/// <c>workspaces.id</c>). Core tables and every feature package's tables implement it; the data layer
/// builds workspace isolation from this one marker.
/// </summary>
public interface IWorkspaceScoped
{
    WorkspaceId WorkspaceId { get; set; }
}
