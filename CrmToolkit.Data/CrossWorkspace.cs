using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data;

/// <summary>A session found by its token hash, with everything a request needs about its user and workspace.</summary>
public sealed record SessionInfo(
    string Id,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    WorkspaceRole Role,
    DateTimeOffset JoinedAt,
    User User,
    Workspace Workspace);

/// <summary>A workspace the user belongs to, with their role in it.</summary>
public sealed record MembershipInfo(Workspace Workspace, WorkspaceRole Role, DateTimeOffset JoinedAt);

/// <summary>
/// The only reads that cross workspaces, each named for the part of the contract that needs it. They lift
/// the <see cref="CrmDbContext.WorkspaceFilter"/> explicitly; nothing else in the code base does.
/// </summary>
public static class CrossWorkspace
{
    private static readonly string[] WorkspaceFilterOnly = [CrmDbContext.WorkspaceFilter];

    // The authenticated hot path: session + membership + user + workspace in one round trip.
    private static readonly Func<CrmDbContext, string, Task<SessionInfo?>> SessionById =
        EF.CompileAsyncQuery((CrmDbContext db, string sessionId) =>
            (from s in db.Sessions.IgnoreQueryFilters(WorkspaceFilterOnly)
             where s.Id == sessionId
             join m in db.WorkspaceMembers.IgnoreQueryFilters(WorkspaceFilterOnly)
                 on new { s.WorkspaceId, s.UserId } equals new { m.WorkspaceId, m.UserId }
             join u in db.Users on s.UserId equals u.Id
             join w in db.Workspaces on s.WorkspaceId equals w.Id
             select new SessionInfo(s.Id, s.CreatedAt, s.ExpiresAt, m.Role, m.JoinedAt, u, w))
            .AsNoTracking()
            .FirstOrDefault());

    /// <summary>Session lookup for authentication. <c>null</c> when unknown or when its membership is gone.</summary>
    public static Task<SessionInfo?> FindSessionAsync(CrmDbContext db, string sessionId) => SessionById(db, sessionId);

    /// <summary><c>GET /me/workspaces</c> and login: every workspace of a user, most recently joined first.</summary>
    public static IQueryable<MembershipInfo> MembershipsOf(CrmDbContext db, Guid userId) =>
        Memberships(db, userId, workspaceId: null);

    /// <summary>Login and switch: the user's membership in one workspace, if any.</summary>
    public static Task<MembershipInfo?> FindMembershipAsync(CrmDbContext db, Guid userId, WorkspaceId workspaceId, CancellationToken cancellationToken) =>
        Memberships(db, userId, workspaceId).FirstOrDefaultAsync(cancellationToken);

    private static IQueryable<MembershipInfo> Memberships(CrmDbContext db, Guid userId, WorkspaceId? workspaceId) =>
        from m in db.WorkspaceMembers.IgnoreQueryFilters(WorkspaceFilterOnly).AsNoTracking()
        where m.UserId == userId && (workspaceId == null || m.WorkspaceId == workspaceId)
        join w in db.Workspaces on m.WorkspaceId equals w.Id
        orderby m.JoinedAt descending, m.WorkspaceId
        select new MembershipInfo(w, m.Role, m.JoinedAt);

    /// <summary>Switch: ends the calling session, which belongs to the workspace being left.</summary>
    public static Task<int> EndSessionAsync(CrmDbContext db, string sessionId, CancellationToken cancellationToken) =>
        db.Sessions.IgnoreQueryFilters(WorkspaceFilterOnly).Where(s => s.Id == sessionId).ExecuteDeleteAsync(cancellationToken);

    /// <summary>The purge job: deletes up to <paramref name="batchSize"/> sessions that expired before <paramref name="now"/>.</summary>
    public static Task<int> PurgeExpiredSessionsAsync(CrmDbContext db, DateTimeOffset now, int batchSize, CancellationToken cancellationToken) =>
        db.Sessions.IgnoreQueryFilters(WorkspaceFilterOnly)
            .Where(s => db.Sessions.IgnoreQueryFilters(WorkspaceFilterOnly)
                .Where(e => e.ExpiresAt < now)
                .OrderBy(e => e.ExpiresAt)
                .Take(batchSize)
                .Select(e => e.Id)
                .Contains(s.Id))
            .ExecuteDeleteAsync(cancellationToken);
}
