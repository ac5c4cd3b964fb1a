using CrmToolkit.Data;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// The data layer's <see cref="ICurrentSession"/> for a request: the workspace and user of its signed-in session, read
/// from <c>HttpContext.User</c> (none for an anonymous request or outside one).
/// </summary>
internal sealed class SignedInSession(IHttpContextAccessor http) : ICurrentSession
{
    public WorkspaceId? WorkspaceId => http.HttpContext?.User.FindWorkspaceId();

    public Guid? UserId => http.HttpContext?.User.FindFirst(CrmClaimTypes.UserId) is { } claim ? Guid.Parse(claim.Value) : null;
}
