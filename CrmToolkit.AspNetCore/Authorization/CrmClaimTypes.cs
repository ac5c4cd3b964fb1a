namespace CrmToolkit.AspNetCore.Authorization;

/// <summary>
/// The claims of a signed-in session's principal (<see cref="SessionPrincipal"/>): only what the authorization policies
/// read. Handlers read the session itself, typed, from the scoped <see cref="Data.CurrentSession"/>.
/// </summary>
public static class CrmClaimTypes
{
    public const string UserId = "sub";
    public const string EmailVerified = "email_verified";
    public const string Role = "role";
    public const string WorkspaceId = "crm:workspace_id";
}
