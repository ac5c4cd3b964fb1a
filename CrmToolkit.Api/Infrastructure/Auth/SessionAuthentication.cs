using System.Security.Claims;
using CrmToolkit.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features.Authentication;
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
    /// ASP.NET Core's <c>UseAuthentication()</c>, with a short path for the requests that carry an
    /// <c>Authorization</c> header (every authenticated request). For those, this middleware does what the
    /// authentication middleware would do for the default scheme (which is the <c>Bearer</c> scheme): it awaits the
    /// request's <see cref="SessionAuthentication"/>, runs the claims transformation, sets <c>HttpContext.User</c>
    /// and the authentication result features that authorization reads. The framework's route there is the
    /// middleware, the authentication service, the handler provider, the handler's initialization and its
    /// once-only wrapper, about 10 µs of every request on bench/'s hot paths, each a state machine that suspends
    /// on the database. Requests without the header (anonymous ones, and any scheme that handles a request
    /// itself) take the framework's middleware unchanged. The handler still answers challenges, and
    /// <c>AuthenticateAsync</c> still returns the same memoized result.
    /// </summary>
    public static IApplicationBuilder UseSessionAuthentication(this IApplicationBuilder app)
    {
        RequestDelegate? afterAuthentication = null;
        app.Use(authentication =>
        {
            var skipAuthentication = afterAuthentication!;
            return context => context.Request.Headers.Authorization.Count == 0
                ? authentication(context)
                : AuthenticateThen(context, skipAuthentication);
        });
        app.UseAuthentication();
        // A pipeline is built from its end, so this runs first: it records what follows UseAuthentication() and
        // adds nothing to a request.
        return app.Use(next => afterAuthentication = next);
    }

    private static async Task AuthenticateThen(HttpContext context, RequestDelegate next)
    {
        var services = context.RequestServices;
        var result = await services.GetRequiredService<SessionAuthentication>().AuthenticateAsync(context);
        if (result.Succeeded)
        {
            var principal = await services.GetRequiredService<IClaimsTransformation>().TransformAsync(result.Ticket.Principal);
            context.User = principal;
            var authenticated = new AuthenticationFeatures(
                AuthenticateResult.Success(new AuthenticationTicket(principal, result.Ticket.Properties, result.Ticket.AuthenticationScheme)));
            context.Features.Set<IHttpAuthenticationFeature>(authenticated);
            context.Features.Set<IAuthenticateResultFeature>(authenticated);
        }

        await next(context);
    }

    // As the framework's own (internal) pair: what authorization reads after authentication. Setting User
    // afterwards (a sign-in, a test) drops the result, so that authorization reads the new user.
    private sealed class AuthenticationFeatures(AuthenticateResult result) : IAuthenticateResultFeature, IHttpAuthenticationFeature
    {
        private AuthenticateResult? _result = result;
        private ClaimsPrincipal? _user = result.Principal;

        public AuthenticateResult? AuthenticateResult
        {
            get => _result;
            set
            {
                _result = value;
                _user = value?.Principal;
            }
        }

        public ClaimsPrincipal? User
        {
            get => _user;
            set
            {
                _user = value;
                _result = null;
            }
        }
    }
}
