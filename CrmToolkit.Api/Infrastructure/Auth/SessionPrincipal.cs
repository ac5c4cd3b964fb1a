using System.Globalization;
using System.Security.Claims;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// The principal of a signed-in session (built by <see cref="SessionAuthenticationHandler"/> from the one session
/// lookup), and typed reads of its claims for handlers: <c>HttpContext.User</c> is the only source of truth about
/// the caller.
/// </summary>
public static class SessionPrincipal
{
    public static ClaimsPrincipal Create(SessionRow session, DateTimeOffset expiresAt, string authenticationType)
    {
        List<Claim> claims =
        [
            new(CrmClaimTypes.UserId, session.UserId.ToString()),
            new(CrmClaimTypes.SessionId, session.SessionId),
            new(CrmClaimTypes.Email, session.Email),
            new(CrmClaimTypes.Name, session.Name),
            new(CrmClaimTypes.EmailVerified, session.EmailVerified ? "true" : "false", ClaimValueTypes.Boolean),
            new(CrmClaimTypes.Role, RoleName(session.Role)),
            new(CrmClaimTypes.WorkspaceId, session.WorkspaceId.Value),
            new(CrmClaimTypes.SessionExpiresAt, Instant(expiresAt)),
            new(CrmClaimTypes.UserCreatedAt, Instant(session.UserCreatedAt)),
            new(CrmClaimTypes.UserUpdatedAt, Instant(session.UserUpdatedAt)),
            new(CrmClaimTypes.WorkspaceName, session.WorkspaceName),
            new(CrmClaimTypes.WorkspaceCreatedBy, session.CreatedBy.ToString()),
            new(CrmClaimTypes.WorkspaceCreatedAt, Instant(session.WorkspaceCreatedAt)),
            new(CrmClaimTypes.WorkspaceUpdatedAt, Instant(session.WorkspaceUpdatedAt)),
        ];
        if (session.Description is { } description)
        {
            claims.Add(new(CrmClaimTypes.WorkspaceDescription, description));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, CrmClaimTypes.Name, CrmClaimTypes.Role));
    }

    public static Guid GetUserId(this ClaimsPrincipal user) => Guid.Parse(user.Required(CrmClaimTypes.UserId));

    public static string GetSessionId(this ClaimsPrincipal user) => user.Required(CrmClaimTypes.SessionId);

    /// <summary>The session's workspace, or <c>null</c> for a request without a session.</summary>
    public static WorkspaceId? FindWorkspaceId(this ClaimsPrincipal user) =>
        WorkspaceId.TryParse(user.FindFirst(CrmClaimTypes.WorkspaceId)?.Value, out var id) ? id : null;

    public static WorkspaceId GetWorkspaceId(this ClaimsPrincipal user) =>
        user.FindWorkspaceId() ?? throw new InvalidOperationException("The request has no signed-in session.");

    public static bool IsEmailVerified(this ClaimsPrincipal user) => user.HasClaim(CrmClaimTypes.EmailVerified, "true");

    public static WorkspaceRole GetRole(this ClaimsPrincipal user) =>
        Enum.Parse<WorkspaceRole>(user.Required(CrmClaimTypes.Role), ignoreCase: true);

    public static DateTimeOffset GetInstant(this ClaimsPrincipal user, string claimType) =>
        DateTimeOffset.Parse(user.Required(claimType), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    public static string Required(this ClaimsPrincipal user, string claimType) =>
        user.FindFirst(claimType)?.Value ?? throw new InvalidOperationException($"The request has no '{claimType}' claim: it has no signed-in session.");

    private static string RoleName(WorkspaceRole role) => role.ToString().ToLowerInvariant();

    private static string Instant(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);
}
