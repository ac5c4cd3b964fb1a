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

    /// <summary>The inviter is still a member of the invitation's workspace with a role that may grant the invited one.</summary>
    public static Expression<Func<Invitation, bool>> InviterMayStillGrant(CrmDbContext db) =>
        i => db.WorkspaceMembers.Any(m => m.UserId == i.InvitedBy
            && (m.Role == WorkspaceRole.Owner || (m.Role == WorkspaceRole.Admin && i.Role == WorkspaceRole.Member)));
}
