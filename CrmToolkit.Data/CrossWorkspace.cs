using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data;

/// <summary>
/// The only operations that cross workspaces, each named for the part of the contract that needs it. Each calls
/// one of the database's <c>SECURITY DEFINER</c> functions (see <see cref="Schema.CrossWorkspaceFunctions"/>), so
/// they work for the application role under row-level security without lifting it, and nothing else in the code
/// base lifts the EF query filter. The two that run per request are compiled queries.
/// </summary>
public static class CrossWorkspace
{
    private static readonly Func<CrmDbContext, string, string, CancellationToken, Task<SessionRow?>> Session =
        EF.CompileAsyncQuery((CrmDbContext db, string workspaceId, string sessionId, CancellationToken _) =>
            db.SessionOf(workspaceId, sessionId).FirstOrDefault());

    private static readonly Func<CrmDbContext, Guid, IAsyncEnumerable<MembershipRow>> Memberships =
        EF.CompileAsyncQuery<CrmDbContext, Guid, MembershipRow>((db, userId) =>
            db.MembershipsOf(userId).OrderByDescending(m => m.JoinedAt).ThenBy(m => m.WorkspaceId));

    /// <summary>
    /// Authentication: the session with this token hash in this workspace, with its membership, user and workspace;
    /// <c>null</c> when unknown or when its membership is gone. One statement.
    /// </summary>
    public static Task<SessionRow?> FindSessionAsync(CrmDbContext db, WorkspaceId workspaceId, string sessionId, CancellationToken cancellationToken) =>
        Session(db, workspaceId.Value, sessionId, cancellationToken);

    /// <summary><c>GET /me/workspaces</c>, login and switch: every workspace of a user, most recently joined first.</summary>
    public static Task<List<MembershipRow>> MembershipsOfAsync(CrmDbContext db, Guid userId, CancellationToken cancellationToken) =>
        Memberships(db, userId).ToListAsync(cancellationToken).AsTask();

    /// <summary>Login and switch: the user's membership in one workspace, if any.</summary>
    public static async Task<MembershipRow?> FindMembershipAsync(CrmDbContext db, Guid userId, WorkspaceId workspaceId, CancellationToken cancellationToken) =>
        (await MembershipsOfAsync(db, userId, cancellationToken)).Find(m => m.WorkspaceId == workspaceId);

    /// <summary>Switch: ends the calling session, which belongs to the workspace being left.</summary>
    public static Task<int> EndSessionAsync(CrmDbContext db, WorkspaceId workspaceId, string sessionId, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<int>($"SELECT crm_end_session({workspaceId.Value}, {sessionId}) AS \"Value\"").SingleAsync(cancellationToken);

    /// <summary>The purge job: deletes up to <paramref name="batchSize"/> sessions that expired before <paramref name="now"/>.</summary>
    public static Task<int> PurgeExpiredSessionsAsync(CrmDbContext db, DateTimeOffset now, int batchSize, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<int>($"SELECT crm_purge_expired_sessions({now}, {batchSize}) AS \"Value\"").SingleAsync(cancellationToken);
}
