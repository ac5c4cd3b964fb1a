namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// The claims of a signed-in session's principal (<see cref="SessionPrincipal"/>): who (user), which session, the
/// session's one workspace and the role in it, and the rest of what <c>GET /api/me</c> returns, so that no handler
/// needs a second query for them.
/// </summary>
public static class CrmClaimTypes
{
    public const string UserId = "sub";
    public const string SessionId = "sid";
    public const string Email = "email";
    public const string Name = "name";
    public const string EmailVerified = "email_verified";
    public const string Role = "role";
    public const string WorkspaceId = "crm:workspace_id";
    public const string SessionExpiresAt = "crm:session_expires_at";
    public const string UserCreatedAt = "crm:user_created_at";
    public const string UserUpdatedAt = "crm:user_updated_at";
    public const string WorkspaceName = "crm:workspace_name";
    public const string WorkspaceDescription = "crm:workspace_description";
    public const string WorkspaceCreatedBy = "crm:workspace_created_by";
    public const string WorkspaceCreatedAt = "crm:workspace_created_at";
    public const string WorkspaceUpdatedAt = "crm:workspace_updated_at";
}
