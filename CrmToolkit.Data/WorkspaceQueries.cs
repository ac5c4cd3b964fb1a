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

    /// <summary>
    /// The user with this email, compared case-insensitively the way the unique index <c>users_email_unique</c>
    /// (on <c>lower(email)</c>) does, so the lookup is served by it.
    /// </summary>
    public static IQueryable<User> WithEmail(this IQueryable<User> users, string email)
    {
        var trimmed = email.Trim();
        return users.Where(u => u.Email.ToLower() == trimmed.ToLower());
    }

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
}
