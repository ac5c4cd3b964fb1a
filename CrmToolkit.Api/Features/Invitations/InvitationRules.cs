using System.Linq.Expressions;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features.Invitations;

/// <summary>
/// Who may grant which role by inviting: an owner any role, an admin only <c>member</c>. An invitation holds only while
/// its inviter still may; the database's <c>crm_my_invitations</c> applies the same rule to the invitee's list.
/// </summary>
internal static class InvitationRules
{
    public static bool MayGrant(WorkspaceRole? inviterRole, WorkspaceRole invited) =>
        inviterRole == WorkspaceRole.Owner || (inviterRole == WorkspaceRole.Admin && invited == WorkspaceRole.Member);

    /// <summary>
    /// The inviter is still a member of the invitation's workspace with a role that may grant the invited one. Written as
    /// two uncorrelated <c>IN</c> lists of the workspace's owners and admins: Citus cannot join a workspace table with a
    /// correlated subquery and <c>crm_workspace_users()</c> in one query, and plans these lists on their own.
    /// </summary>
    public static Expression<Func<Invitation, bool>> InviterMayStillGrant(CrmDbContext db) =>
        i => db.WorkspaceMembers.Where(m => m.Role == WorkspaceRole.Owner).Select(m => m.UserId).Contains(i.InvitedBy)
            || (i.Role == WorkspaceRole.Member
                && db.WorkspaceMembers.Where(m => m.Role == WorkspaceRole.Admin).Select(m => m.UserId).Contains(i.InvitedBy));
}
