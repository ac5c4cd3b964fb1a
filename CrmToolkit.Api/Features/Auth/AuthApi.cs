using System.Security.Claims;
using CrmToolkit.Api.Infrastructure;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Api.Features.Auth;

public static class AuthApi
{
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth")
            .WithTags("Auth")
            .RequireRateLimiting(AuthRateLimiting.PerAddressPolicy);

        group.MapPost("/register", Register).AllowAnonymous();
        group.MapPost("/login", Login).AllowAnonymous();
        group.MapPost("/switch", Switch).RequireAuthorization();
        group.MapPost("/logout", Logout).RequireAuthorization();

        return group;
    }

    /// <summary>User + first workspace + owner membership + session, in one transaction.</summary>
    private static async Task<Results<Created<SignedInResponse>, ProblemHttpResult>> Register(
        RegisterRequest request,
        HttpContext httpContext,
        WorkspaceDbContextFactory contexts,
        Passwords passwords,
        SessionIssuer sessions,
        RegistrationThrottle throttle,
        CrmTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        using var activity = CrmTelemetry.ActivitySource.StartActivity("crm.auth.register");
        if (throttle.BlockedFor(request.Email) is { } wait)
        {
            return AuthRateLimiting.TooManyRequests(httpContext, wait);
        }

        var user = new User
        {
            Id = Guid.CreateVersion7(),
            Email = request.Email.Trim(),
            Name = request.Name.Trim(),
            PasswordHash = passwords.Hash(request.Password),
        };
        var workspace = new Workspace
        {
            Id = WorkspaceId.New(),
            Name = string.IsNullOrWhiteSpace(request.WorkspaceName) ? $"{user.Name}'s workspace" : request.WorkspaceName.Trim(),
            CreatedBy = user.Id,
        };

        await using var db = contexts.CreateDbContext(workspace.Id);
        db.Users.Add(user);
        db.Workspaces.Add(workspace);
        db.WorkspaceMembers.Add(new WorkspaceMember { UserId = user.Id, Role = WorkspaceRole.Owner });
        var session = sessions.Add(db, user.Id);
        await db.SaveChangesAsync(cancellationToken); // a unique violation on users_email_unique becomes 409

        telemetry.WorkspaceCreated();
        telemetry.SessionCreated("register");
        return TypedResults.Created("/api/me",
            new SignedInResponse(UserResponse.From(user), WorkspaceResponse.From(workspace), WorkspaceRole.Owner, SessionResponse.From(session)));
    }

    /// <summary>
    /// Unknown email and wrong password: same status, same body, and similar time (a dummy hash is verified).
    /// </summary>
    private static async Task<Results<Ok<SignedInResponse>, NotFound, ProblemHttpResult>> Login(
        LoginRequest request,
        HttpContext httpContext,
        IDbContextFactory<CrmDbContext> pool,
        WorkspaceDbContextFactory contexts,
        Passwords passwords,
        SessionIssuer sessions,
        FailedLoginThrottle throttle,
        CrmTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        using var activity = CrmTelemetry.ActivitySource.StartActivity("crm.auth.login");
        await using var db = await pool.CreateDbContextAsync(cancellationToken);
        var (attemptId, blockedFor) = await throttle.BeginAsync(db, request.Email, cancellationToken);
        if (blockedFor is { } wait)
        {
            activity?.SetTag("crm.login.result", "throttled");
            telemetry.Login("throttled");
            return AuthRateLimiting.TooManyRequests(httpContext, wait);
        }

        var user = await db.Users.WithEmail(request.Email).SingleOrDefaultAsync(cancellationToken);
        var verification = PasswordVerificationResult.Failed;
        if (user is null)
        {
            passwords.VerifyAgainstDummy(request.Password);
        }
        else
        {
            verification = passwords.Verify(user.PasswordHash, request.Password);
        }

        if (user is null || verification == PasswordVerificationResult.Failed)
        {
            activity?.SetTag("crm.login.result", "invalid_credentials");
            telemetry.Login("invalid_credentials");
            return TypedResults.Problem(title: "Invalid email or password", statusCode: StatusCodes.Status401Unauthorized);
        }

        await throttle.SucceededAsync(db, attemptId, cancellationToken);
        if (verification == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = passwords.Hash(request.Password);
            await db.SaveChangesAsync(cancellationToken);
        }

        MembershipRow? membership;
        if (request.WorkspaceId is null)
        {
            membership = (await CrossWorkspace.MembershipsOfAsync(db, user.Id, cancellationToken)).FirstOrDefault();
        }
        else
        {
            membership = WorkspaceId.TryParse(request.WorkspaceId, out var wanted)
                ? await CrossWorkspace.FindMembershipAsync(db, user.Id, wanted, cancellationToken)
                : null;
        }

        if (membership is null)
        {
            activity?.SetTag("crm.login.result", "no_workspace");
            telemetry.Login("no_workspace");
            return TypedResults.NotFound();
        }

        await using var workspaceDb = contexts.CreateDbContext(membership.WorkspaceId);
        var session = sessions.Add(workspaceDb, user.Id);
        await workspaceDb.SaveChangesAsync(cancellationToken);

        activity?.SetTag("crm.login.result", "success");
        activity?.SetTag("crm.workspace.id", membership.WorkspaceId.Value);
        telemetry.Login("success");
        telemetry.SessionCreated("login");
        return TypedResults.Ok(new SignedInResponse(
            UserResponse.From(user), WorkspaceResponse.From(membership), membership.Role, SessionResponse.From(session)));
    }

    /// <summary>A new session in another workspace of the user; the calling session ends in the same transaction.</summary>
    private static async Task<Results<Ok<SignedInResponse>, NotFound, UnauthorizedHttpResult>> Switch(
        SwitchRequest request,
        ClaimsPrincipal user,
        WorkspaceDbContextFactory contexts,
        SessionIssuer sessions,
        CrmTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        using var activity = CrmTelemetry.ActivitySource.StartActivity("crm.auth.switch");
        var userId = user.GetUserId();
        if (!WorkspaceId.TryParse(request.WorkspaceId, out var target))
        {
            return TypedResults.NotFound();
        }

        await using var targetDb = contexts.CreateDbContext(target);
        var membership = await CrossWorkspace.FindMembershipAsync(targetDb, userId, target, cancellationToken);
        if (membership is null)
        {
            return TypedResults.NotFound();
        }

        var session = await targetDb.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            await using var transaction = await targetDb.Database.BeginTransactionAsync(ct);
            targetDb.ChangeTracker.Clear();
            // End the calling session first: if a concurrent switch or logout ended it already, this token
            // must not yield a second live session.
            if (await CrossWorkspace.EndSessionAsync(targetDb, user.GetWorkspaceId(), user.GetSessionId(), ct) != 1)
            {
                return null;
            }

            var issued = sessions.Add(targetDb, userId);
            await targetDb.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return issued;
        }, cancellationToken);
        if (session is null)
        {
            return TypedResults.Unauthorized();
        }

        telemetry.SessionCreated("switch");
        telemetry.SessionsEnded("switch");
        return TypedResults.Ok(new SignedInResponse(
            UserResponse.From(user), WorkspaceResponse.From(membership), membership.Role, SessionResponse.From(session)));
    }

    private static async Task<NoContent> Logout(
        ClaimsPrincipal user, CrmDbContext db, CrmTelemetry telemetry, CancellationToken cancellationToken)
    {
        var ended = await db.Sessions.Where(s => s.Id == user.GetSessionId()).ExecuteDeleteAsync(cancellationToken);
        telemetry.SessionsEnded("logout", ended);
        return TypedResults.NoContent();
    }
}
