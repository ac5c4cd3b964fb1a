using CrmToolkit.Api.Features.Workspaces;
using CrmToolkit.Api.Infrastructure;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Api.Infrastructure.Mail;
using CrmToolkit.AspNetCore.Validation;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Features.Auth;

public static class AuthApi
{
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/auth")
            .WithTags("Auth")
            .RequireRateLimiting(AuthRateLimiting.PerAddressPolicy);

        group.MapPost("/register", Register).AllowAnonymous().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/login", Login).AllowAnonymous().ProducesProblem(StatusCodes.Status401Unauthorized);
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
        MailLinks links,
        IOptions<EmailProofOptions> emailProof,
        TimeProvider time,
        CrmTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        using var activity = CrmTelemetry.ActivitySource.StartActivity("crm.auth.register");
        var client = httpContext.ClientAddress();
        passwords.ThrowIfBusy(client);
        var email = TextInput.Clean(request.Email);
        if (throttle.BlockedFor(email) is { } wait)
        {
            return AuthRateLimiting.TooManyRequests(httpContext, wait);
        }

        var name = TextInput.Clean(request.Name);
        var user = new User
        {
            Id = Guid.CreateVersion7(),
            Email = email,
            Name = name,
            PasswordHash = await passwords.HashAsync(request.Password, client, cancellationToken),
        };

        await using var db = contexts.CreateDbContext(WorkspaceId.New(), user.Id);
        db.Users.Add(user);
        var workspace = OwnedWorkspace.Add(db, TextInput.CleanOptional(request.WorkspaceName) ?? OwnedWorkspace.DefaultName(name), null, user.Id);
        var session = sessions.Add(db, user.Id);
        EmailProofApi.AddVerificationMail(db, user, links, emailProof.Value, time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken); // a unique violation on users_email_unique becomes 409 (and no mail)

        telemetry.WorkspaceCreated();
        telemetry.SessionCreated("register");
        return TypedResults.Created("/api/me",
            new SignedInResponse(UserResponse.From(user), WorkspaceResponse.From(workspace), WorkspaceRole.Owner, SessionResponse.From(session)));
    }

    /// <summary>
    /// Unknown email and wrong password: same status, same body, and similar time (a dummy hash is verified). Without a
    /// workspace id, the session opens the workspace the user last signed in to (while still a member), else the one
    /// joined first; a user left with no workspace gets a new one of their own, as at registration.
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
        var client = httpContext.ClientAddress();
        passwords.ThrowIfBusy(client);
        var email = TextInput.Clean(request.Email);
        await using var db = await pool.CreateDbContextAsync(cancellationToken);
        var (attemptId, blockedFor) = await throttle.BeginAsync(db, email, client, cancellationToken);
        if (blockedFor is { } wait)
        {
            return LoginResult(activity, telemetry, "throttled", AuthRateLimiting.TooManyRequests(httpContext, wait));
        }

        var user = await CrossWorkspace.FindLoginUserAsync(db, email, cancellationToken);
        PasswordVerificationResult verification;
        try
        {
            verification = await passwords.VerifyAsync(user?.PasswordHash, request.Password, client, cancellationToken);
        }
        catch (PasswordHashingBusyException)
        {
            await throttle.ForgetAsync(db, attemptId, cancellationToken); // never checked: not a guess
            throw;
        }

        if (user is null || verification == PasswordVerificationResult.Failed)
        {
            return LoginResult(activity, telemetry, "invalid_credentials",
                TypedResults.Problem(title: "Invalid email or password", statusCode: StatusCodes.Status401Unauthorized));
        }

        await throttle.ForgetAsync(db, attemptId, cancellationToken);
        WorkspaceId? wanted = null;
        if (request.WorkspaceId is not null)
        {
            if (!WorkspaceId.TryParse(request.WorkspaceId, out var parsed))
            {
                return LoginResult(activity, telemetry, "no_workspace", TypedResults.NotFound());
            }

            wanted = parsed;
        }

        var membership = await CrossWorkspace.LoginWorkspaceAsync(db, user.UserId, wanted, cancellationToken);
        if (membership is null && wanted is not null)
        {
            return LoginResult(activity, telemetry, "no_workspace", TypedResults.NotFound());
        }

        await using var workspaceDb = contexts.CreateDbContext(membership?.WorkspaceId ?? WorkspaceId.New(), user.UserId);
        if (verification == PasswordVerificationResult.SuccessRehashNeeded)
        {
            var rehashed = await passwords.HashAsync(request.Password, client, cancellationToken);
            await workspaceDb.Users.Where(u => u.Id == user.UserId)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.PasswordHash, rehashed), cancellationToken);
        }

        // Every membership is gone (they left or deleted their last workspace): a workspace of their own, as at registration.
        var workspace = membership is null
            ? WorkspaceResponse.From(OwnedWorkspace.Add(workspaceDb, OwnedWorkspace.DefaultName(user.Name), null, user.UserId))
            : WorkspaceResponse.From(membership);
        var session = sessions.Add(workspaceDb, user.UserId);
        await workspaceDb.SaveChangesAsync(cancellationToken);

        activity?.SetTag("crm.workspace.id", workspace.Id.Value);
        telemetry.SessionCreated("login");
        if (membership is null)
        {
            telemetry.WorkspaceCreated();
        }

        return LoginResult(activity, telemetry, "success", TypedResults.Ok(new SignedInResponse(
            UserResponse.From(user), workspace, membership?.Role ?? WorkspaceRole.Owner, SessionResponse.From(session))));
    }

    private static T LoginResult<T>(System.Diagnostics.Activity? activity, CrmTelemetry telemetry, string result, T response)
    {
        activity?.SetTag("crm.login.result", result);
        telemetry.Login(result);
        return response;
    }

    /// <summary>A new session in another workspace of the user; the calling session ends in the same transaction.</summary>
    private static async Task<Results<Ok<SignedInResponse>, NotFound, ChallengeHttpResult>> Switch(
        SwitchRequest request,
        CurrentSession caller,
        WorkspaceDbContextFactory contexts,
        SessionIssuer sessions,
        CrmTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        using var activity = CrmTelemetry.ActivitySource.StartActivity("crm.auth.switch");
        if (!WorkspaceId.TryParse(request.WorkspaceId, out var target))
        {
            return TypedResults.NotFound();
        }

        var userId = caller.UserId;
        await using var targetDb = contexts.CreateDbContext(target, userId);
        if (await CrossWorkspace.MyMembershipAsync(targetDb, caller.Session, target, cancellationToken) is not { } membership)
        {
            // The lookup is keyed on the calling session: it finds nothing once a parallel switch ended that session.
            return await CrossWorkspace.SessionEndedAsync(targetDb, caller.Session, cancellationToken)
                ? TypedResults.Challenge()
                : TypedResults.NotFound();
        }

        var session = await sessions.ReplaceAsync(targetDb, caller, first: null, cancellationToken);
        if (session is null)
        {
            return TypedResults.Challenge(); // the session ended meanwhile: a 401 like any ended session's
        }

        telemetry.SessionCreated("switch");
        telemetry.SessionsEnded("switch");
        return TypedResults.Ok(new SignedInResponse(
            UserResponse.From(caller.Session), WorkspaceResponse.From(membership), membership.Role, SessionResponse.From(session)));
    }

    private static async Task<NoContent> Logout(
        CurrentSession caller, CrmDbContext db, CrmTelemetry telemetry, CancellationToken cancellationToken)
    {
        var sessionId = caller.Session.SessionId;
        var ended = await db.Sessions.Where(s => s.Id == sessionId).ExecuteDeleteAsync(cancellationToken);
        telemetry.SessionsEnded("logout", ended);
        return TypedResults.NoContent();
    }
}
