using System.Security.Claims;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.AspNetCore.Authorization;

/// <summary>
/// The principal of a signed-in session (built by the API's authentication handler from the one session
/// lookup) and the reads the authorization policies make of it.
/// </summary>
public static class SessionPrincipal
{
    public static ClaimsPrincipal Create(SessionRow session, string authenticationType) =>
        new(new ClaimsIdentity(
            [
                new(CrmClaimTypes.UserId, session.UserId.ToString()),
                new(CrmClaimTypes.WorkspaceId, session.WorkspaceId.Value),
                new(CrmClaimTypes.Role, session.Role.ToString().ToLowerInvariant()),
                new(CrmClaimTypes.EmailVerified, session.EmailVerified ? "true" : "false", ClaimValueTypes.Boolean),
            ],
            authenticationType, nameType: null, CrmClaimTypes.Role));

    /// <summary>The session's workspace, or <c>null</c> for a request without a session.</summary>
    public static WorkspaceId? FindWorkspaceId(this ClaimsPrincipal user) =>
        WorkspaceId.TryParse(user.FindFirst(CrmClaimTypes.WorkspaceId)?.Value, out var id) ? id : null;

    public static WorkspaceRole GetRole(this ClaimsPrincipal user) =>
        Enum.Parse<WorkspaceRole>(user.FindFirst(CrmClaimTypes.Role)?.Value ?? throw new InvalidOperationException("The principal has no role."), ignoreCase: true);
}
