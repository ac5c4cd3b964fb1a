using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data;

/// <summary>The design document's workspace utilities: filter by workspace, check membership.</summary>
public static class WorkspaceQueries
{
    private static readonly Func<CrmDbContext, WorkspaceId, Guid, Task<WorkspaceRole?>> MembershipRole =
        EF.CompileAsyncQuery((CrmDbContext db, WorkspaceId workspaceId, Guid userId) =>
            db.WorkspaceMembers
                .Where(m => m.WorkspaceId == workspaceId && m.UserId == userId)
                .Select(m => (WorkspaceRole?)m.Role)
                .FirstOrDefault());

    /// <summary>Restricts <paramref name="query"/> to the rows of one workspace.</summary>
    public static IQueryable<T> InWorkspace<T>(this IQueryable<T> query, WorkspaceId workspaceId)
        where T : class, IWorkspaceScoped =>
        query.Where(e => e.WorkspaceId == workspaceId);

    /// <summary>
    /// Is user <paramref name="userId"/> a member of <paramref name="workspaceId"/>, and with which role?
    /// One indexed query (workspace_members_workspace_id_user_id_unique); <c>null</c> means "not a member".
    /// </summary>
    public static Task<WorkspaceRole?> GetMembershipRoleAsync(this CrmDbContext db, WorkspaceId workspaceId, Guid userId) =>
        MembershipRole(db, workspaceId, userId);

    /// <summary>
    /// Locks the context's workspace row until the transaction ends, so that changes that check and then write within
    /// one workspace (roles, the last owner, the hourly invitation allowance) run one after another. <c>NO KEY</c>: rows
    /// that merely reference the workspace can still be inserted meanwhile.
    /// </summary>
    public static Task LockWorkspaceAsync(this CrmDbContext db, CancellationToken cancellationToken)
    {
        var workspaceId = db.CurrentWorkspaceId?.Value ?? throw new InvalidOperationException("This context is bound to no workspace.");
        return db.Database.ExecuteSqlAsync($"SELECT 1 FROM workspaces WHERE id = {workspaceId} FOR NO KEY UPDATE", cancellationToken);
    }

    /// <summary>
    /// Locks the context's user row until the transaction ends, so that the per-user allowances (workspaces created,
    /// invitations sent, verification mails) are counted one request after another. Taken after the workspace's lock
    /// where both are needed, so the two never wait on each other in opposite orders.
    /// </summary>
    public static Task LockUserAsync(this CrmDbContext db, CancellationToken cancellationToken)
    {
        var userId = db.CurrentUserId ?? throw new InvalidOperationException("This context is bound to no user.");
        return db.Database.ExecuteSqlAsync($"SELECT 1 FROM users WHERE id = {userId} FOR NO KEY UPDATE", cancellationToken);
    }
}
