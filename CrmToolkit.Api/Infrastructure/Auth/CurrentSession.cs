using CrmToolkit.Data;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>The signed-in session of the current request (scoped); set by <see cref="SessionAuthentication"/>.</summary>
public sealed class CurrentSession : ICurrentWorkspace
{
    private SessionInfo? _session;

    public bool IsAuthenticated => _session is not null;

    public SessionInfo Session => _session ?? throw new InvalidOperationException("The request is not authenticated.");

    public WorkspaceId? WorkspaceId => _session?.Workspace.Id;

    internal void Set(SessionInfo session) => _session = session;
}
