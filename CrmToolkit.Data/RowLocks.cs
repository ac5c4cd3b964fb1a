using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data;

/// <summary>The row locks that make check-then-write changes run one after another.</summary>
public static class RowLocks
{
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
