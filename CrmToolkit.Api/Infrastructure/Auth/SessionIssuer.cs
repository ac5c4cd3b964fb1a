using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

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

    /// <summary>
    /// Switch and accept: in one transaction, runs <paramref name="first"/> (which may refuse by returning false), ends
    /// the calling session and issues one in <paramref name="db"/>'s workspace. <c>null</c> when refused, or when the
    /// calling session had ended meanwhile: a token never yields two live sessions.
    /// </summary>
    public Task<IssuedSession?> ReplaceAsync(
        CrmDbContext db, CurrentSession caller, Func<CrmDbContext, CancellationToken, Task<bool>>? first, CancellationToken cancellationToken) =>
        ResilientTransaction.New(db).ExecuteAsync(async ct =>
        {
            if ((first is not null && !await first(db, ct))
                || await CrossWorkspace.EndSessionAsync(db, caller.Session, ct) != 1)
            {
                return null;
            }

            var issued = Add(db, caller.UserId);
            await db.SaveChangesAsync(ct);
            return issued;
        }, issued => issued is not null, cancellationToken);
}
