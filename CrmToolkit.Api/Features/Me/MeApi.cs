using System.ComponentModel.DataAnnotations;
using CrmToolkit.AspNetCore.Paging;
using CrmToolkit.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CrmToolkit.Api.Features.Me;

public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/me").WithTags("Me").RequireAuthorization();

        // Served entirely from the session lookup the authentication already did: no further query.
        group.MapGet("/", (CurrentSession session) => TypedResults.Ok(new SignedInResponse(
            UserResponse.From(session.Session),
            WorkspaceResponse.From(session.Session),
            session.Role,
            new SessionResponse(null, session.ExpiresAt))));

        group.MapGet("/workspaces", MyWorkspaces);

        return group;
    }

    /// <summary>
    /// The user's workspaces in keyset pages, most recently joined first, then by id. The cursor belongs to the user, not
    /// to the session's workspace: it still pages after a switch.
    /// </summary>
    private static async Task<Results<Ok<Page<MyWorkspaceResponse>>, ValidationProblem>> MyWorkspaces(
        CurrentSession session, CrmDbContext db, KeysetCursor cursors, CancellationToken cancellationToken,
        [Range(1, KeysetCursor.MaxPageSize)] int? limit = null, string? after = null)
    {
        var owner = session.UserId.ToString();
        Cursor? cursor = null;
        // Issued times are UTC, as PostgreSQL returns them (Npgsql binds no other offset).
        if (after is not null
            && !cursors.TryDecode("me-workspaces", owner, after, out cursor, c => c.JoinedAt.Offset == TimeSpan.Zero && c.WorkspaceId != default))
        {
            return KeysetCursor.Invalid();
        }

        var size = limit ?? KeysetCursor.DefaultPageSize;
        var rows = await CrossWorkspace.MyWorkspacesPageAsync(
            db, session.Session, cursor is null ? null : (cursor.JoinedAt, cursor.WorkspaceId), size + 1, cancellationToken);
        var items = rows.ConvertAll(m => new MyWorkspaceResponse(WorkspaceResponse.From(m), m.Role, m.JoinedAt));
        return TypedResults.Ok(cursors.ToPage(items, size, "me-workspaces", owner, w => new Cursor(w.JoinedAt, w.Workspace.Id)));
    }

    /// <summary>Where a page ended: the last membership's join time and workspace id.</summary>
    private sealed record Cursor(DateTimeOffset JoinedAt, WorkspaceId WorkspaceId);
}
