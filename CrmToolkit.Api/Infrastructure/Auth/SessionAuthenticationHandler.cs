using System.Security.Claims;
using System.Text.Encodings.Web;
using CrmToolkit.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;token&gt;</c> against <c>sessions</c>: one database round trip
/// (session + membership + user + workspace, in the function <c>crm_session</c>), plus at most one renewal write an hour.
/// Never hashes a password; never logs the token.
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SessionLookup sessions,
    WorkspaceDbContextFactory workspaceContexts,
    CurrentSession currentSession,
    IOptions<SessionLifetimeOptions> sessionOptions,
    CrmTelemetry telemetry)
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

        var session = await sessions.FindAsync(workspaceId, sessionId, Context.RequestAborted);
        var now = TimeProvider.GetUtcNow();
        if (session is null || sessionOptions.Value.IsExpired(session.CreatedAt, session.ExpiresAt, now))
        {
            return AuthenticateResult.Fail("Unknown or expired session.");
        }

        if (sessionOptions.Value.RenewalFor(session.CreatedAt, session.ExpiresAt, now) is { } renewed)
        {
            await using var db = workspaceContexts.CreateDbContext(session.Workspace.Id);
            await db.Sessions
                .Where(s => s.Id == session.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, renewed), Context.RequestAborted);
            session = session with { ExpiresAt = renewed };
            telemetry.SessionRenewed();
        }

        currentSession.Set(session);
        // Handlers read the session from CurrentSession; the principal only marks the request authenticated.
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, session.User.Id.ToString())], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}
