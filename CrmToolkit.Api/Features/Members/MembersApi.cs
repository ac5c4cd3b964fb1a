using System.ComponentModel.DataAnnotations;
using CrmToolkit.Api.Infrastructure;
using CrmToolkit.AspNetCore.Authorization;
using CrmToolkit.AspNetCore.Paging;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Api.Features.Members;

/// <summary>
/// Members of the session's workspace (people join by accepting an invitation, see InvitationsApi). Every query goes
/// through the workspace query filter; role rules: admins manage members, only owners grant or take away owner/admin
/// rights over admins and owners, and the last owner can neither leave, be removed nor be demoted (the workspace row
/// is locked while that is checked).
/// </summary>
public static class MembersApi
{
    public static RouteGroupBuilder MapMembersApi(this RouteGroupBuilder workspace)
    {
        var group = workspace.MapGroup("/members").WithTags("Members");

        group.MapGet("/", ListMembers);
        group.MapPatch("/{userId:guid}", ChangeRole).RequireAuthorization(WorkspacePolicies.Admin).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/{userId:guid}", RemoveMember) // admins, or the member themself: checked below
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);

        return group;
    }

    /// <summary>Keyset pages ordered by email (unique); <c>after</c> is the opaque <c>next</c> of the previous page.</summary>
    private static async Task<Results<Ok<Page<MemberResponse>>, ValidationProblem>> ListMembers(
        CrmDbContext db, CurrentSession caller, KeysetCursor cursors, CancellationToken cancellationToken,
        [Range(1, KeysetCursor.MaxPageSize)] int? limit = null, string? after = null)
    {
        var workspace = caller.WorkspaceId.Value;
        Cursor? cursor = null;
        if (after is not null && !cursors.TryDecode("members", workspace, after, out cursor, c => c.Email is { Length: > 0 }))
        {
            return KeysetCursor.Invalid();
        }

        var size = limit ?? KeysetCursor.DefaultPageSize;
        var rows = await MemberRows(db, afterEmail: cursor?.Email, take: size + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(cursors.ToPage(rows, size, "members", workspace, m => new Cursor(m.Email)));
    }

    private static async Task<Results<Ok<MemberResponse>, NotFound, ProblemHttpResult>> ChangeRole(
        Guid userId, ChangeRoleRequest request, CurrentSession caller, CrmDbContext db, CancellationToken cancellationToken)
    {
        var newRole = ParseRole(request.Role);
        return await WithWorkspaceLockedAsync<Results<Ok<MemberResponse>, NotFound, ProblemHttpResult>>(db, caller, async (actor, ct) =>
        {
            var target = await db.WorkspaceMembers.SingleOrDefaultAsync(m => m.UserId == userId, ct);
            if (actor is null || target is null)
            {
                return TypedResults.NotFound();
            }

            if (actor < WorkspaceRole.Admin)
            {
                return Forbidden("Only an owner or an admin can change roles.");
            }

            if (actor != WorkspaceRole.Owner && (target.Role >= WorkspaceRole.Admin || newRole == WorkspaceRole.Owner))
            {
                return Forbidden("Only an owner can grant or take away owner or admin rights over an admin or owner.");
            }

            if (target.Role == WorkspaceRole.Owner && newRole != WorkspaceRole.Owner && await IsLastOwnerAsync(db, ct))
            {
                return LastOwner();
            }

            target.Role = newRole;
            await db.SaveChangesAsync(ct);
            var member = await MemberRows(db, userId: userId).SingleAsync(ct);
            return TypedResults.Ok(member);
        }, cancellationToken);
    }

    /// <summary>Removes a member and ends their sessions in this workspace.</summary>
    private static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RemoveMember(
        Guid userId, CurrentSession caller, CrmDbContext db, CrmTelemetry telemetry, CancellationToken cancellationToken)
    {
        var (result, sessionsEnded) = await WithWorkspaceLockedAsync<(Results<NoContent, NotFound, ProblemHttpResult>, int)>(db, caller, async (actor, ct) =>
        {
            var target = await db.WorkspaceMembers.SingleOrDefaultAsync(m => m.UserId == userId, ct);
            if (actor is null || target is null)
            {
                return (TypedResults.NotFound(), 0);
            }

            var self = userId == caller.UserId;
            if (!self && (actor == WorkspaceRole.Member || (actor == WorkspaceRole.Admin && target.Role >= WorkspaceRole.Admin)))
            {
                return (Forbidden(actor == WorkspaceRole.Member
                    ? "Members can only remove themselves."
                    : "Only an owner can remove an admin or an owner."), 0);
            }

            if (target.Role == WorkspaceRole.Owner && await IsLastOwnerAsync(db, ct))
            {
                return (LastOwner(), 0);
            }

            db.WorkspaceMembers.Remove(target);
            await db.SaveChangesAsync(ct);
            var ended = await db.Sessions.Where(s => s.UserId == userId).ExecuteDeleteAsync(ct);
            return (TypedResults.NoContent(), ended);
        }, cancellationToken);

        telemetry.SessionsEnded("member_removed", sessionsEnded);
        return result;
    }

    /// <summary>Members of the context's workspace with their user, ordered by email; filtered before projecting.</summary>
    private static IQueryable<MemberResponse> MemberRows(CrmDbContext db, Guid? userId = null, string? afterEmail = null, int take = KeysetCursor.MaxPageSize + 1) =>
        (from m in db.WorkspaceMembers.AsNoTracking()
         join u in db.WorkspaceUsers() on m.UserId equals u.Id
         where (userId == null || m.UserId == userId) && (afterEmail == null || string.Compare(u.Email, afterEmail) > 0)
         orderby u.Email
         select new MemberResponse(u.Id, u.Email, u.Name, m.Role, m.JoinedAt))
        .Take(take);

    /// <summary>
    /// Runs <paramref name="action"/> in a transaction that first locks the workspace row, so that concurrent
    /// role changes in one workspace run one after the other and "last owner" checks see each other's commits.
    /// The action gets the caller's role as it is now, under the lock (not as it was when the session was
    /// read): <c>null</c> when the caller is no longer a member.
    /// </summary>
    private static Task<T> WithWorkspaceLockedAsync<T>(CrmDbContext db, CurrentSession caller, Func<WorkspaceRole?, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        var callerId = caller.UserId;
        return ResilientTransaction.New(db).ExecuteAsync(async ct =>
        {
            await db.LockWorkspaceAsync(ct);
            var actor = await db.WorkspaceMembers
                .Where(m => m.UserId == callerId)
                .Select(m => (WorkspaceRole?)m.Role)
                .SingleOrDefaultAsync(ct);
            return await action(actor, ct);
        }, cancellationToken);
    }

    private static async Task<bool> IsLastOwnerAsync(CrmDbContext db, CancellationToken cancellationToken) =>
        await db.WorkspaceMembers.CountAsync(m => m.Role == WorkspaceRole.Owner, cancellationToken) <= 1;

    private static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(title: "Forbidden", detail: detail, statusCode: StatusCodes.Status403Forbidden);

    private static ProblemHttpResult LastOwner() =>
        TypedResults.Problem(title: "Conflict", detail: "A workspace must keep at least one owner.", statusCode: StatusCodes.Status409Conflict);

    private static WorkspaceRole ParseRole(string role) => Enum.Parse<WorkspaceRole>(role, ignoreCase: true);

    /// <summary>Where a page ended: the last member's email (emails are unique).</summary>
    private sealed record Cursor(string Email);
}
