using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data;

/// <summary>
/// The EF Core docs' "pooled context with state": leases a <see cref="CrmDbContext"/> from the pool and binds it to a
/// workspace and user. Scoped; the pooled factory underneath is a singleton.
/// </summary>
public sealed class WorkspaceDbContextFactory(IDbContextFactory<CrmDbContext> pool, CurrentSession currentSession)
    : IDbContextFactory<CrmDbContext>
{
    /// <summary>A context bound to the current unit of work's workspace and user (or to none).</summary>
    public CrmDbContext CreateDbContext() => currentSession.IsSignedIn
        ? Bind(pool.CreateDbContext(), currentSession.WorkspaceId, currentSession.UserId)
        : pool.CreateDbContext();

    /// <summary>
    /// A context bound to <paramref name="workspaceId"/> (and <paramref name="userId"/>), for the flows that act in a
    /// workspace other than the session's: registration, login, switching, accepting an invitation, creating a workspace.
    /// </summary>
    public CrmDbContext CreateDbContext(WorkspaceId workspaceId, Guid? userId = null) => Bind(pool.CreateDbContext(), workspaceId, userId);

    private static CrmDbContext Bind(CrmDbContext context, WorkspaceId? workspaceId, Guid? userId)
    {
        context.CurrentWorkspaceId = workspaceId;
        context.CurrentUserId = userId;
        return context;
    }
}
