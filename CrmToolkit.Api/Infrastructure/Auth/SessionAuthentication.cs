using System.Security.Claims;
using CrmToolkit.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;token&gt;</c> against <c>sessions</c>, once per request (scoped, the
/// result is kept): one database round trip (session + membership + user + workspace, in the function
/// <c>crm_session</c>), plus at most one renewal write an hour. Never hashes a password; never logs the token.
/// </summary>
public sealed class SessionAuthentication(
    SessionLookup sessions,
    WorkspaceDbContextFactory workspaceContexts,
    CurrentSession currentSession,
    IOptions<SessionLifetimeOptions> sessionOptions,
    TimeProvider time,
    CrmTelemetry telemetry)
{
    private Task<AuthenticateResult>? _result;

    public Task<AuthenticateResult> AuthenticateAsync(HttpContext context) => _result ??= AuthenticateOnceAsync(context);

    private async Task<AuthenticateResult> AuthenticateOnceAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        if (!SessionTokens.TryParse(token, out var workspaceId, out var sessionId))
        {
            return AuthenticateResult.Fail("Malformed bearer token.");
        }

        var session = await sessions.FindAsync(workspaceId, sessionId, context.RequestAborted);
        var now = time.GetUtcNow();
        if (session is null || sessionOptions.Value.IsExpired(session.CreatedAt, session.ExpiresAt, now))
        {
            return AuthenticateResult.Fail("Unknown or expired session.");
        }

        if (sessionOptions.Value.RenewalFor(session.CreatedAt, session.ExpiresAt, now) is { } renewed)
        {
            await using var db = workspaceContexts.CreateDbContext(session.Workspace.Id);
            await db.Sessions
                .Where(s => s.Id == session.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, renewed), context.RequestAborted);
            session = session with { ExpiresAt = renewed };
            telemetry.SessionRenewed();
        }

        currentSession.Set(session);
        // Handlers read the session from CurrentSession; the principal only marks the request authenticated.
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, session.User.Id.ToString())], SessionAuthenticationHandler.SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SessionAuthenticationHandler.SchemeName));
    }
}

public static class SessionAuthenticationMiddleware
{
    /// <summary>
    /// Authenticates a request that carries an <c>Authorization</c> header before ASP.NET Core's authentication
    /// middleware asks for it, so that the database wait suspends this one middleware rather than each of the
    /// five nested async calls between the authentication middleware and the handler (a state machine apiece,
    /// on every request). The handler then finds the result ready. Without this middleware the handler does the
    /// same work itself, at that cost.
    /// </summary>
    public static IApplicationBuilder UseEarlySessionAuthentication(this IApplicationBuilder app) =>
        app.Use(next => context =>
            context.Request.Headers.Authorization.Count == 0 ? next(context) : AuthenticateThen(context, next));

    private static async Task AuthenticateThen(HttpContext context, RequestDelegate next)
    {
        await context.RequestServices.GetRequiredService<SessionAuthentication>().AuthenticateAsync(context);
        await next(context);
    }
}
