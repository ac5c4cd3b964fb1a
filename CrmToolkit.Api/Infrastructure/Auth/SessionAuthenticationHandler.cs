using System.Text.Encodings.Web;
using CrmToolkit.AspNetCore.Authorization;
using CrmToolkit.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// The <c>Bearer</c> scheme: authenticates <c>Authorization: Bearer &lt;token&gt;</c> against <c>sessions</c> with one
/// database round trip (session, membership, user and workspace, in the function <c>crm_session</c>), plus at most
/// one renewal write an hour; signs the request's <see cref="CurrentSession"/> in (what handlers read) and issues the
/// <see cref="SessionPrincipal"/> (what the policies read). Never hashes a password, never logs the
/// token. Challenges with a bare 401 and <c>WWW-Authenticate: Bearer</c> (the status-code pages add the problem body).
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDbContextFactory<CrmDbContext> contexts,
    WorkspaceDbContextFactory workspaceContexts,
    IOptions<SessionLifetimeOptions> lifetime,
    TimeProvider time,
    CrmTelemetry telemetry,
    CurrentSession currentSession)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        if (!SessionTokens.TryParse(token, out var workspaceId, out var sessionId))
        {
            return AuthenticateResult.Fail("Malformed bearer token.");
        }

        var cancellationToken = Context.RequestAborted;
        Data.Entities.SessionRow? session;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            session = await CrossWorkspace.FindSessionAsync(db, workspaceId, sessionId, cancellationToken);
        }

        var now = time.GetUtcNow();
        if (session is null || lifetime.Value.IsExpired(session.SessionCreatedAt, session.ExpiresAt, now))
        {
            return AuthenticateResult.Fail("Unknown or expired session.");
        }

        var expiresAt = session.ExpiresAt;
        if (lifetime.Value.RenewalFor(session.SessionCreatedAt, session.ExpiresAt, now) is { } renewed)
        {
            await using var db = workspaceContexts.CreateDbContext(workspaceId);
            await db.Sessions
                .Where(s => s.Id == sessionId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, renewed), cancellationToken);
            expiresAt = renewed;
            telemetry.SessionRenewed();
        }

        currentSession.SignIn(session, expiresAt);
        return AuthenticateResult.Success(new AuthenticationTicket(SessionPrincipal.Create(session, Scheme.Name), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = SchemeName;
        return Task.CompletedTask;
    }
}
