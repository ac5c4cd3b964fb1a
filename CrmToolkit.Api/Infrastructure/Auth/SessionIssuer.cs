using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>A new session's bearer token (shown once) and its expiry.</summary>
public sealed record IssuedSession(string Token, DateTimeOffset ExpiresAt);

/// <summary>Creates sessions: a fresh token, of which only the hash is stored.</summary>
public sealed class SessionIssuer(IOptions<SessionLifetimeOptions> options, TimeProvider time)
{
    /// <summary>
    /// Adds a session for <paramref name="userId"/> to <paramref name="db"/>, which is bound to the session's
    /// workspace. The caller saves, in the same transaction as whatever the session comes with.
    /// </summary>
    public IssuedSession Add(CrmDbContext db, Guid userId)
    {
        var workspaceId = db.CurrentWorkspaceId ?? throw new InvalidOperationException("A session is created in the context's workspace; this context has none.");
        var token = SessionTokens.NewToken(workspaceId);
        SessionTokens.TryParse(token, out _, out var sessionId);
        var now = time.GetUtcNow();
        var session = new Session
        {
            Id = sessionId,
            WorkspaceId = workspaceId,
            UserId = userId,
            CreatedAt = now,
            ExpiresAt = options.Value.ExpiryFor(now, now),
        };
        db.Sessions.Add(session);
        return new IssuedSession(token, session.ExpiresAt);
    }
}
