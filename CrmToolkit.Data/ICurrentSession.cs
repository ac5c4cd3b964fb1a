namespace CrmToolkit.Data;

/// <summary>
/// Who acts where in the current unit of work (for the API: the signed-in session). A context leased for it
/// (<see cref="WorkspaceDbContextFactory"/>) filters by the workspace and sends both to PostgreSQL's row-level security.
/// </summary>
public interface ICurrentSession
{
    WorkspaceId? WorkspaceId { get; }

    Guid? UserId { get; }
}
