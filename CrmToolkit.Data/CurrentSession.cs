using CrmToolkit.Data.Entities;

namespace CrmToolkit.Data;

/// <summary>
/// Who acts where in the current unit of work: for an API request, its signed-in session as the one session lookup
/// read it (user, workspace, role, expiry); nothing for an anonymous request, the migration worker or a background job.
/// Scoped. The API's authentication handler calls <see cref="SignIn"/>; a context leased for the scope
/// (<see cref="WorkspaceDbContextFactory"/>) filters by its workspace and sends workspace and user to row-level security.
/// </summary>
public sealed class CurrentSession
{
    private SessionRow? _session;

    /// <summary>Whether a session signed in this unit of work.</summary>
    public bool IsSignedIn => _session is not null;

    /// <summary>The session, its membership, user and workspace; throws when nobody signed in.</summary>
    public SessionRow Session => _session ?? throw new InvalidOperationException("This unit of work has no signed-in session.");

    public Guid UserId => Session.UserId;

    public WorkspaceId WorkspaceId => Session.WorkspaceId;

    public WorkspaceRole Role => Session.Role;

    /// <summary>When the session ends, after this request's renewal if it had one.</summary>
    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>Binds the unit of work to <paramref name="session"/>, once.</summary>
    public void SignIn(SessionRow session, DateTimeOffset expiresAt)
    {
        if (_session is not null)
        {
            throw new InvalidOperationException("A session already signed in to this unit of work.");
        }

        _session = session;
        ExpiresAt = expiresAt;
    }
}
