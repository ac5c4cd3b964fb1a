using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data;

/// <summary>
/// The only operations that cross workspaces, each named for the part of the contract that needs it. Each calls
/// one of the database's <c>SECURITY DEFINER</c> functions (created by the migrations: InitialCreate and its successors), so
/// they work for the application role under row-level security without lifting it, and nothing else in the code
/// base lifts the EF query filter. Those a signed-in user calls are keyed on their session; the one every request
/// runs is a compiled query.
/// </summary>
public static class CrossWorkspace
{
    private static readonly Func<CrmDbContext, string, string, CancellationToken, Task<SessionRow?>> Session =
        EF.CompileAsyncQuery((CrmDbContext db, string workspaceId, string sessionId, CancellationToken _) =>
            db.SessionOf(workspaceId, sessionId).SingleOrDefault());

    /// <summary>
    /// Authentication: the session with this token hash in this workspace, with its membership, user and workspace;
    /// <c>null</c> when unknown or when its membership is gone. One statement.
    /// </summary>
    public static Task<SessionRow?> FindSessionAsync(CrmDbContext db, WorkspaceId workspaceId, string sessionId, CancellationToken cancellationToken) =>
        Session(db, workspaceId.Value, sessionId, cancellationToken);

    /// <summary>
    /// <c>GET /me/workspaces</c>: up to <paramref name="take"/> workspaces of the session's user, most recently joined first,
    /// then by id; with an <paramref name="after"/> (the last row of the previous page), those that come after it.
    /// </summary>
    public static Task<List<MembershipRow>> MyWorkspacesPageAsync(
        CrmDbContext db, SessionRow session, (DateTimeOffset JoinedAt, WorkspaceId WorkspaceId)? after, int take, CancellationToken cancellationToken) =>
        db.MyWorkspacesPage(session.WorkspaceId.Value, session.SessionId, after?.JoinedAt, after?.WorkspaceId.Value, take)
            .OrderByDescending(m => m.JoinedAt).ThenBy(m => m.WorkspaceId)
            .ToListAsync(cancellationToken);

    /// <summary>Switch: the session user's membership in <paramref name="targetWorkspaceId"/>, or <c>null</c>.</summary>
    public static Task<MembershipRow?> MyMembershipAsync(
        CrmDbContext db, SessionRow session, WorkspaceId targetWorkspaceId, CancellationToken cancellationToken) =>
        db.MyMembership(session.WorkspaceId.Value, session.SessionId, targetWorkspaceId.Value).SingleOrDefaultAsync(cancellationToken);

    /// <summary><c>GET /me/invitations</c>, accept and decline: the pending, unexpired invitations to the session user's email, newest first.</summary>
    public static IQueryable<InvitationRow> MyInvitations(CrmDbContext db, SessionRow session) =>
        db.MyInvitations(session.WorkspaceId.Value, session.SessionId).OrderByDescending(i => i.CreatedAt).ThenBy(i => i.InvitationId);

    /// <summary>Login: the account with this email (compared as <see cref="CrmDbContext.EmailKey"/> does), with its password hash.</summary>
    public static Task<LoginUserRow?> FindLoginUserAsync(CrmDbContext db, string email, CancellationToken cancellationToken) =>
        db.LoginUser(email).SingleOrDefaultAsync(cancellationToken);

    /// <summary>
    /// Login, after the password was verified: the user's membership in <paramref name="workspaceId"/>, or with none
    /// given, the workspace they last signed in to while still a member, else the one they joined first.
    /// </summary>
    public static Task<MembershipRow?> LoginWorkspaceAsync(CrmDbContext db, Guid userId, WorkspaceId? workspaceId, CancellationToken cancellationToken) =>
        db.LoginWorkspace(userId, workspaceId?.Value).SingleOrDefaultAsync(cancellationToken);

    /// <summary>
    /// The per-user allowances: when the session's user created workspaces (or sent invitations, in any workspace) since
    /// <paramref name="since"/>, newest first, at most <paramref name="limit"/>.
    /// </summary>
    public static Task<List<DateTimeOffset>> MyRecentWorkspacesAsync(
        CrmDbContext db, SessionRow session, DateTimeOffset since, int limit, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<DateTimeOffset>(
            $"SELECT created_at AS \"Value\" FROM crm_my_recent_workspaces({session.WorkspaceId.Value}, {session.SessionId}, {since}, {limit})")
            .ToListAsync(cancellationToken);

    /// <inheritdoc cref="MyRecentWorkspacesAsync"/>
    public static Task<List<DateTimeOffset>> MyRecentInvitationsAsync(
        CrmDbContext db, SessionRow session, DateTimeOffset since, int limit, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<DateTimeOffset>(
            $"SELECT created_at AS \"Value\" FROM crm_my_recent_invitations({session.WorkspaceId.Value}, {session.SessionId}, {since}, {limit})")
            .ToListAsync(cancellationToken);

    /// <summary>
    /// Switch, accept and decline, when they found nothing: whether that was because the calling session has ended
    /// meanwhile (a parallel switch or accept won), which is a 401 like any ended session's, not a 404.
    /// </summary>
    public static async Task<bool> SessionEndedAsync(CrmDbContext db, SessionRow session, CancellationToken cancellationToken) =>
        await FindSessionAsync(db, session.WorkspaceId, session.SessionId, cancellationToken) is null;

    /// <summary>Switch and accept: ends the calling session, which belongs to the workspace being left.</summary>
    public static Task<int> EndSessionAsync(CrmDbContext db, SessionRow session, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<int>($"SELECT crm_end_session({session.WorkspaceId.Value}, {session.SessionId}) AS \"Value\"").SingleAsync(cancellationToken);

    /// <summary>
    /// <c>POST /auth/verify-email</c>: uses the unexpired, unused verification token with this hash and marks its
    /// address verified; the user's id, or <c>null</c> for a token that is unknown, used or expired.
    /// </summary>
    public static Task<Guid?> VerifyEmailAsync(CrmDbContext db, string tokenHash, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<Guid?>($"SELECT crm_verify_email({tokenHash}) AS \"Value\"").SingleAsync(cancellationToken);

    /// <summary>
    /// <c>POST /auth/password-reset/confirm</c>: uses the reset token with this hash, sets the new password hash, counts the
    /// address as verified and ends every session of the user, in one statement; the user's id, or <c>null</c> as above.
    /// </summary>
    public static Task<Guid?> ResetPasswordAsync(CrmDbContext db, string tokenHash, string passwordHash, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<Guid?>($"SELECT crm_reset_password({tokenHash}, {passwordHash}) AS \"Value\"").SingleAsync(cancellationToken);

    /// <summary>The purge job: deletes up to <paramref name="batchSize"/> idempotency records created before <paramref name="before"/>, in every workspace.</summary>
    public static Task<int> PurgeIdempotencyKeysAsync(CrmDbContext db, DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<int>($"SELECT crm_purge_idempotency_keys({before}, {batchSize}) AS \"Value\"").SingleAsync(cancellationToken);

    /// <summary>The purge job: deletes up to <paramref name="batchSize"/> sessions that have expired by the database server's clock.</summary>
    public static Task<int> PurgeExpiredSessionsAsync(CrmDbContext db, int batchSize, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<int>($"SELECT crm_purge_expired_sessions({batchSize}) AS \"Value\"").SingleAsync(cancellationToken);
}
