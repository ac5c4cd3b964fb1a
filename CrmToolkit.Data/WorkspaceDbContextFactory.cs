using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data;

/// <summary>The workspace of the current unit of work (for the API: the signed-in session's workspace).</summary>
public interface ICurrentWorkspace
{
    WorkspaceId? WorkspaceId { get; }
}

/// <summary>
/// The EF Core docs' "pooled context with state": leases a <see cref="CrmDbContext"/> from the pool and
/// binds it to a workspace. Scoped; the pooled factory underneath is a singleton.
/// </summary>
public sealed class WorkspaceDbContextFactory(IDbContextFactory<CrmDbContext> pool, ICurrentWorkspace currentWorkspace)
    : IDbContextFactory<CrmDbContext>
{
    /// <summary>A context bound to the current unit of work's workspace (or to none).</summary>
    public CrmDbContext CreateDbContext() => Bind(pool.CreateDbContext(), currentWorkspace.WorkspaceId);

    /// <summary>
    /// A context bound to <paramref name="workspaceId"/>, for the flows that act in a workspace other than the
    /// session's: registration, login, switching and creating a workspace.
    /// </summary>
    public CrmDbContext CreateDbContext(WorkspaceId workspaceId) => Bind(pool.CreateDbContext(), workspaceId);

    private static CrmDbContext Bind(CrmDbContext context, WorkspaceId? workspaceId)
    {
        context.CurrentWorkspaceId = workspaceId;
        return context;
    }
}
