using System.ComponentModel.DataAnnotations;
using CrmToolkit.Api.Infrastructure;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Api.Infrastructure.Mail;
using CrmToolkit.AspNetCore.Authorization;
using CrmToolkit.AspNetCore.Idempotency;
using CrmToolkit.AspNetCore.Paging;
using CrmToolkit.AspNetCore.Validation;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Features.Invitations;

/// <summary>
/// Nobody becomes a member without saying yes. Admins invite an email with a role (only an owner grants admin or
/// owner), list and revoke; the account with that email sees its invitations and accepts or declines them. Creating
/// answers the same whether or not an account exists, so the route tells nobody who has one.
/// </summary>
public static class InvitationsApi
{
    /// <summary><c>/workspaces/{workspaceId}/invitations</c>: the workspace's side, for admins and owners.</summary>
    public static RouteGroupBuilder MapInvitationsApi(this RouteGroupBuilder workspace)
    {
        var group = workspace.MapGroup("/invitations").WithTags("Invitations").RequireAuthorization(WorkspacePolicies.Admin);

        group.MapPost("/", CreateInvitation).RequireAuthorization(WorkspacePolicies.VerifiedEmail).WithIdempotency()
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapGet("/", ListInvitations);
        group.MapDelete("/{invitationId:guid}", RevokeInvitation);

        return group;
    }

    /// <summary><c>/me/invitations</c>: the invitee's side, found by the signed-in account's email.</summary>
    public static RouteGroupBuilder MapMyInvitationsApi(this RouteGroupBuilder me)
    {
        // Invitations are addressed to an email: only its proven owner sees and answers them.
        var group = me.MapGroup("/invitations").WithTags("Invitations").RequireAuthorization(WorkspacePolicies.VerifiedEmail);

        group.MapGet("/", MyInvitations);
        group.MapPost("/{invitationId:guid}/accept", Accept).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{invitationId:guid}/decline", Decline);

        return group;
    }

    /// <summary>
    /// Under the workspace row's lock, so that the caller's role, the hourly allowance and "one pending invitation per
    /// email" hold for parallel requests and against a demotion racing it: checks the caller's role as it is now (not as
    /// it was at authentication), refuses an existing member (409) and a spent allowance (429), replaces a pending
    /// invitation to the same email, records the new one and mails the invited address, all in one transaction.
    /// </summary>
    private static async Task<Results<Created<InvitationResponse>, ProblemHttpResult>> CreateInvitation(
        CreateInvitationRequest request,
        CurrentSession caller,
        CrmDbContext db,
        HttpContext httpContext,
        IOptions<InvitationOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var role = Enum.Parse<WorkspaceRole>(request.Role, ignoreCase: true);
        var email = TextInput.Clean(request.Email);
        var inviter = caller.UserId;
        var inviterName = caller.Session.Name;
        return await ResilientTransaction.New(db).ExecuteAsync(async ct =>
        {
            await db.LockWorkspaceAsync(ct);

            var callerRole = await db.WorkspaceMembers.Where(m => m.UserId == inviter).Select(m => (WorkspaceRole?)m.Role).SingleOrDefaultAsync(ct);
            if (!InvitationRules.MayGrant(callerRole, role))
            {
                return (Results<Created<InvitationResponse>, ProblemHttpResult>)TypedResults.Problem(
                    title: "Forbidden",
                    detail: role > WorkspaceRole.Member ? "Only an owner can invite an admin or an owner." : "Only an admin or an owner can invite.",
                    statusCode: StatusCodes.Status403Forbidden);
            }

            // The users a workspace can see are its members (the caller is one), so this reveals nothing about others.
            if (await db.WorkspaceUsers().AnyAsync(u => u.Email.ToLower() == CrmDbContext.EmailKey(email), ct))
            {
                return TypedResults.Problem(
                    title: "Conflict", detail: "This email belongs to a member of the workspace already.", statusCode: StatusCodes.Status409Conflict);
            }

            var now = time.GetUtcNow();
            var hourAgo = now - TimeSpan.FromHours(1);
            var allowance = options.Value.PerWorkspacePerHour;
            var lastHour = await db.Invitations.Where(i => i.CreatedAt > hourAgo)
                .OrderByDescending(i => i.CreatedAt).Select(i => i.CreatedAt).Take(allowance).ToListAsync(ct);
            if (AuthRateLimiting.HourlyAllowanceWait(lastHour, allowance, now) is { } workspaceWait)
            {
                return AuthRateLimiting.TooManyRequests(httpContext, workspaceWait);
            }

            // The inviter's own allowance, across every workspace: fresh workspaces add none. Counted under the
            // inviter's row lock (after the workspace's, as everywhere), so parallel invitations from several
            // workspaces cannot slip past it.
            await db.LockUserAsync(ct);
            var perInviter = options.Value.PerInviterPerHour;
            var sentLastHour = await CrossWorkspace.MyRecentInvitationsAsync(db, caller.Session, hourAgo, perInviter, ct);
            if (AuthRateLimiting.HourlyAllowanceWait(sentLastHour, perInviter, now) is { } inviterWait)
            {
                return AuthRateLimiting.TooManyRequests(httpContext, inviterWait);
            }

            await db.Invitations
                .Where(i => i.Status == InvitationStatus.Pending && CrmDbContext.EmailKey(i.Email) == CrmDbContext.EmailKey(email))
                .ExecuteUpdateAsync(i => i.SetProperty(x => x.Status, InvitationStatus.Replaced).SetProperty(x => x.AnsweredAt, now), ct);
            var invitation = new Invitation { Email = email, Role = role, InvitedBy = inviter, CreatedAt = now, ExpiresAt = now + options.Value.Lifetime };
            db.Invitations.Add(invitation);
            // The same mail whether or not an account has the address, so the answer tells nobody who has one.
            db.MailOutbox.Add(Mails.Invitation(email, caller.Session.WorkspaceName, inviterName, role, invitation.ExpiresAt));
            await db.SaveChangesAsync(ct);

            return TypedResults.Created(
                $"/api/workspaces/{invitation.WorkspaceId}/invitations/{invitation.Id}",
                new InvitationResponse(invitation.Id, invitation.Email, invitation.Role,
                    new InviterResponse(inviter, inviterName), invitation.CreatedAt, invitation.ExpiresAt));
        }, cancellationToken);
    }

    /// <summary>Pending, unexpired invitations, oldest first (the first to expire), in keyset pages.</summary>
    private static async Task<Results<Ok<Page<InvitationResponse>>, ValidationProblem>> ListInvitations(
        CrmDbContext db, CurrentSession caller, KeysetCursor cursors, TimeProvider time, CancellationToken cancellationToken,
        [Range(1, KeysetCursor.MaxPageSize)] int? limit = null, string? after = null)
    {
        var workspace = caller.WorkspaceId.Value;
        Cursor? cursor = null;
        // Issued times are UTC, as PostgreSQL returns them (Npgsql binds no other offset).
        if (after is not null
            && !cursors.TryDecode("invitations", workspace, after, out cursor, c => c.Id != Guid.Empty && c.CreatedAt.Offset == TimeSpan.Zero))
        {
            return KeysetCursor.Invalid();
        }

        var size = limit ?? KeysetCursor.DefaultPageSize;
        var now = time.GetUtcNow();
        var pending = db.Invitations.Where(i => i.Status == InvitationStatus.Pending && i.ExpiresAt > now)
            .Where(InvitationRules.InviterMayStillGrant(db));
        if (cursor is not null)
        {
            pending = pending.Where(i => EF.Functions.GreaterThan(ValueTuple.Create(i.CreatedAt, i.Id), ValueTuple.Create(cursor.CreatedAt, cursor.Id)));
        }

        // A valid invitation's inviter is a member, so among the users the workspace can see.
        var rows = await (
            from i in pending
            join u in db.WorkspaceUsers() on i.InvitedBy equals u.Id
            orderby i.CreatedAt, i.Id
            select new InvitationResponse(i.Id, i.Email, i.Role, new InviterResponse(i.InvitedBy, u.Name), i.CreatedAt, i.ExpiresAt, null))
            .Take(size + 1)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(cursors.ToPage(rows, size, "invitations", workspace, i => new Cursor(i.CreatedAt, i.Id)));
    }

    private static async Task<Results<NoContent, NotFound>> RevokeInvitation(
        Guid invitationId, CrmDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var revoked = await db.Invitations
            .Where(i => i.Id == invitationId && i.Status == InvitationStatus.Pending && i.ExpiresAt > now)
            .ExecuteUpdateAsync(i => i.SetProperty(x => x.Status, InvitationStatus.Revoked).SetProperty(x => x.AnsweredAt, now), cancellationToken);
        return revoked == 0 ? TypedResults.NotFound() : TypedResults.NoContent();
    }

    private static async Task<Ok<List<InvitationResponse>>> MyInvitations(
        CurrentSession caller, CrmDbContext db, CancellationToken cancellationToken)
    {
        var invitations = await CrossWorkspace.MyInvitations(db, caller.Session).ToListAsync(cancellationToken);
        return TypedResults.Ok(invitations.ConvertAll(InvitationResponse.From));
    }

    /// <summary>
    /// Joins with the invited role and switches to the workspace: in one transaction the invitation is taken, the
    /// membership made, the calling session ended and a new one issued there.
    /// </summary>
    private static async Task<Results<Ok<SignedInResponse>, NotFound, ChallengeHttpResult>> Accept(
        Guid invitationId,
        CurrentSession caller,
        CrmDbContext db,
        WorkspaceDbContextFactory contexts,
        SessionIssuer sessions,
        TimeProvider time,
        CrmTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        if (await FindMineAsync(db, caller, invitationId, cancellationToken) is not { } invitation)
        {
            // The lookup is keyed on the calling session: once a parallel switch or accept ended it, a 401 like any
            // ended session's; otherwise unknown, expired, answered, revoked, void or not the caller's: 404.
            if (await CrossWorkspace.SessionEndedAsync(db, caller.Session, cancellationToken))
            {
                return TypedResults.Challenge();
            }

            return TypedResults.NotFound();
        }

        var userId = caller.UserId;
        await using var target = contexts.CreateDbContext(invitation.WorkspaceId, userId);
        var taken = true;
        var session = await sessions.ReplaceAsync(target, caller, async (joining, ct) =>
        {
            await joining.LockWorkspaceAsync(ct); // the inviter's role, read next, cannot change until this commits
            taken = await AnswerAsync(joining, invitationId, InvitationStatus.Accepted, time, ct);
            if (taken)
            {
                joining.WorkspaceMembers.Add(new WorkspaceMember { UserId = userId, Role = invitation.Role });
            }

            return taken;
        }, cancellationToken);
        if (session is null)
        {
            // Taken by us, yet refused: the calling session ended meanwhile. Not taken: answered meanwhile, maybe by a
            // parallel accept with this very session, which then ended it: that is the 401 too.
            return taken || await CrossWorkspace.SessionEndedAsync(db, caller.Session, cancellationToken)
                ? TypedResults.Challenge()
                : TypedResults.NotFound();
        }

        var workspace = await target.Workspaces.AsNoTracking().SingleAsync(w => w.Id == invitation.WorkspaceId, cancellationToken);
        telemetry.SessionCreated("invitation_accepted");
        telemetry.SessionsEnded("invitation_accepted");
        return TypedResults.Ok(new SignedInResponse(
            UserResponse.From(caller.Session), WorkspaceResponse.From(workspace), invitation.Role, SessionResponse.From(session)));
    }

    private static async Task<Results<NoContent, NotFound, ChallengeHttpResult>> Decline(
        Guid invitationId,
        CurrentSession caller,
        CrmDbContext db,
        WorkspaceDbContextFactory contexts,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await FindMineAsync(db, caller, invitationId, cancellationToken) is not { } invitation)
        {
            // The lookup is keyed on the calling session: once a parallel switch or accept ended it, a 401 like any
            // ended session's; otherwise unknown, expired, answered, revoked, void or not the caller's: 404.
            if (await CrossWorkspace.SessionEndedAsync(db, caller.Session, cancellationToken))
            {
                return TypedResults.Challenge();
            }

            return TypedResults.NotFound();
        }

        await using var target = contexts.CreateDbContext(invitation.WorkspaceId, caller.UserId);
        return await AnswerAsync(target, invitationId, InvitationStatus.Declined, time, cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.NotFound();
    }

    // Unknown, expired, answered, revoked or addressed to another email: not found, all alike.
    private static Task<InvitationRow?> FindMineAsync(CrmDbContext db, CurrentSession caller, Guid invitationId, CancellationToken cancellationToken) =>
        CrossWorkspace.MyInvitations(db, caller.Session)
            .FirstOrDefaultAsync(i => i.InvitationId == invitationId, cancellationToken);

    // Still pending, unexpired and backed by its inviter at this moment: exactly one answer wins.
    private static async Task<bool> AnswerAsync(CrmDbContext target, Guid invitationId, InvitationStatus answer, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await target.Invitations
            .Where(i => i.Id == invitationId && i.Status == InvitationStatus.Pending && i.ExpiresAt > now)
            .Where(InvitationRules.InviterMayStillGrant(target))
            .ExecuteUpdateAsync(i => i.SetProperty(x => x.Status, answer).SetProperty(x => x.AnsweredAt, now), cancellationToken) == 1;
    }

    /// <summary>Where a page ended: the last invitation's creation time and id.</summary>
    private sealed record Cursor(DateTimeOffset CreatedAt, Guid Id);
}
