using CrmToolkit.Data.Configurations;
using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data;

/// <summary>A user as a session sees it (never the password hash).</summary>
public sealed record UserInfo(Guid Id, string Email, string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A session found by its token hash, with everything a request needs about its user and workspace.</summary>
public sealed record SessionInfo(
    string Id,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    WorkspaceRole Role,
    DateTimeOffset JoinedAt,
    UserInfo User,
    Workspace Workspace);

/// <summary>A workspace the user belongs to, with their role in it.</summary>
public sealed record MembershipInfo(Workspace Workspace, WorkspaceRole Role, DateTimeOffset JoinedAt);

/// <summary>
/// The only operations that cross workspaces, each named for the part of the contract that needs it.
/// Each calls one of the database's <c>SECURITY DEFINER</c> functions (see
/// <see cref="Schema.CrossWorkspaceFunctions"/>), so they work for the application role under row-level
/// security without lifting it, and nothing else in the code base lifts the EF query filter. The session lookup
/// of authentication is the fifth (<see cref="SessionLookup"/>).
/// </summary>
public static class CrossWorkspace
{
    /// <summary><c>GET /me/workspaces</c>, login and switch: every workspace of a user, most recently joined first.</summary>
    public static async Task<List<MembershipInfo>> MembershipsOfAsync(CrmDbContext db, Guid userId, CancellationToken cancellationToken)
    {
        var rows = await db.Database.SqlQuery<MembershipRow>($"""
            SELECT workspace_id AS "WorkspaceId", workspace_name AS "WorkspaceName", description AS "Description",
                   created_by AS "CreatedBy", workspace_created_at AS "WorkspaceCreatedAt", workspace_updated_at AS "WorkspaceUpdatedAt",
                   role AS "Role", joined_at AS "JoinedAt"
              FROM crm_memberships({userId})
            """).ToListAsync(cancellationToken);

        return rows.ConvertAll(r => new MembershipInfo(
            Workspace(r.WorkspaceId, r.WorkspaceName, r.Description, r.CreatedBy, r.WorkspaceCreatedAt, r.WorkspaceUpdatedAt),
            RoleNames.FromDatabase(r.Role),
            r.JoinedAt));
    }

    /// <summary>Login and switch: the user's membership in one workspace, if any.</summary>
    public static async Task<MembershipInfo?> FindMembershipAsync(CrmDbContext db, Guid userId, WorkspaceId workspaceId, CancellationToken cancellationToken) =>
        (await MembershipsOfAsync(db, userId, cancellationToken)).Find(m => m.Workspace.Id == workspaceId);

    /// <summary>Switch: ends the calling session, which belongs to the workspace being left.</summary>
    public static Task<int> EndSessionAsync(CrmDbContext db, WorkspaceId workspaceId, string sessionId, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<int>($"SELECT crm_end_session({workspaceId.Value}, {sessionId}) AS \"Value\"").SingleAsync(cancellationToken);

    /// <summary>The purge job: deletes up to <paramref name="batchSize"/> sessions that expired before <paramref name="now"/>.</summary>
    public static Task<int> PurgeExpiredSessionsAsync(CrmDbContext db, DateTimeOffset now, int batchSize, CancellationToken cancellationToken) =>
        db.Database.SqlQuery<int>($"SELECT crm_purge_expired_sessions({now}, {batchSize}) AS \"Value\"").SingleAsync(cancellationToken);

    internal static Workspace Workspace(string id, string name, string? description, Guid createdBy, DateTimeOffset createdAt, DateTimeOffset updatedAt) =>
        new()
        {
            Id = Data.WorkspaceId.Parse(id, null),
            Name = name,
            Description = description,
            CreatedBy = createdBy,
            CreatedAt = createdAt,
            UpdatedAt = updatedAt,
        };

    private sealed class MembershipRow
    {
        public required string WorkspaceId { get; init; }
        public required string WorkspaceName { get; init; }
        public string? Description { get; init; }
        public Guid CreatedBy { get; init; }
        public DateTimeOffset WorkspaceCreatedAt { get; init; }
        public DateTimeOffset WorkspaceUpdatedAt { get; init; }
        public required string Role { get; init; }
        public DateTimeOffset JoinedAt { get; init; }
    }
}
