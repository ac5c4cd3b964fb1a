using CrmToolkit.Data;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// The data layer's <see cref="ICurrentWorkspace"/> for a request: the workspace of its signed-in session, read from
/// <c>HttpContext.User</c> (none for an anonymous request or outside one).
/// </summary>
internal sealed class SessionWorkspace(IHttpContextAccessor http) : ICurrentWorkspace
{
    public WorkspaceId? WorkspaceId => http.HttpContext?.User.FindWorkspaceId();
}
