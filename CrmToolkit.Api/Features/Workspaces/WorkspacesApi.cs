using CrmToolkit.Api.Infrastructure;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.AspNetCore.Authorization;
using CrmToolkit.AspNetCore.Validation;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Features.Workspaces;

public static class WorkspacesApi
{
    public static RouteGroupBuilder MapWorkspacesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/workspaces").WithTags("Workspaces").RequireAuthorization();
        group.MapPost("/", CreateWorkspace).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status429TooManyRequests);

        var workspace = group.MapGroup($"/{{{WorkspacePolicies.RouteValue}}}").RequireAuthorization(WorkspacePolicies.Member);
        workspace.MapGet("/", GetWorkspace);
        workspace.MapPatch("/", UpdateWorkspace).RequireAuthorization(WorkspacePolicies.Admin);
        workspace.MapDelete("/", DeleteWorkspace).RequireAuthorization(WorkspacePolicies.Owner);

        return workspace;
    }

    /// <summary>
    /// The creator becomes owner and gets a session in the new workspace. At most <see cref="WorkspaceOptions.PerUserPerHour"/>
    /// an hour per user, counted under the user row's lock so that parallel requests cannot slip past it.
    /// </summary>
    private static async Task<Results<Created<CreatedWorkspaceResponse>, ValidationProblem, ProblemHttpResult>> CreateWorkspace(
        CreateWorkspaceRequest request,
        CurrentSession caller,
        HttpContext httpContext,
        WorkspaceDbContextFactory contexts,
        SessionIssuer sessions,
        IOptions<WorkspaceOptions> options,
        TimeProvider time,
        CrmTelemetry telemetry,
        CancellationToken cancellationToken)
    {
        using var activity = CrmTelemetry.ActivitySource.StartActivity("crm.workspaces.create");
        WorkspaceId id;
        if (request.Id is null)
        {
            id = WorkspaceId.New();
        }
        else if (!WorkspaceId.TryParse(request.Id, out id))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["id"] = ["An id is 10 to 20 ASCII letters or digits."],
            });
        }

        var userId = caller.UserId;
        var allowance = options.Value.PerUserPerHour;
        await using var db = contexts.CreateDbContext(id, userId);
        var created = await ResilientTransaction.New(db).ExecuteAsync(async ct =>
        {
            await db.LockUserAsync(ct);
            var now = time.GetUtcNow();
            var lastHour = await CrossWorkspace.MyRecentWorkspacesAsync(db, caller.Session, now - TimeSpan.FromHours(1), allowance, ct);
            if (AuthRateLimiting.HourlyAllowanceWait(lastHour, allowance, now) is { } wait)
            {
                return new Creation(null, null, wait);
            }

            var workspace = OwnedWorkspace.Add(db, TextInput.Clean(request.Name), TextInput.Multiline(request.Description), userId);
            var session = sessions.Add(db, userId);
            await db.SaveChangesAsync(ct); // an id that is taken violates workspaces_pkey: 409
            return new Creation(workspace, session, null);
        }, cancellationToken);
        if (created is not (Workspace workspace, IssuedSession session, _))
        {
            return AuthRateLimiting.TooManyRequests(httpContext, created.RetryAfter!.Value);
        }

        telemetry.WorkspaceCreated();
        telemetry.SessionCreated("workspace_created");
        return TypedResults.Created($"/api/workspaces/{id}",
            new CreatedWorkspaceResponse(WorkspaceResponse.From(workspace), WorkspaceRole.Owner, SessionResponse.From(session)));
    }

    private sealed record Creation(Workspace? Workspace, IssuedSession? Session, TimeSpan? RetryAfter);

    private static Ok<WorkspaceResponse> GetWorkspace(CurrentSession caller) =>
        TypedResults.Ok(WorkspaceResponse.From(caller.Session));

    private static async Task<Results<Ok<WorkspaceResponse>, NotFound>> UpdateWorkspace(
        UpdateWorkspaceRequest request, CurrentSession caller, CrmDbContext db, CancellationToken cancellationToken)
    {
        var workspace = await db.Workspaces.SingleOrDefaultAsync(w => w.Id == caller.WorkspaceId, cancellationToken);
        if (workspace is null)
        {
            return TypedResults.NotFound();
        }

        if (request.Name is not null)
        {
            workspace.Name = TextInput.Clean(request.Name);
        }

        if (request.Description is not null)
        {
            workspace.Description = TextInput.Multiline(request.Description);
        }

        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(WorkspaceResponse.From(workspace));
    }

    /// <summary>Members, sessions and every package row of the workspace go with it (ON DELETE CASCADE).</summary>
    private static async Task<Results<NoContent, NotFound>> DeleteWorkspace(
        CurrentSession caller, CrmDbContext db, CrmTelemetry telemetry, CancellationToken cancellationToken)
    {
        var id = caller.WorkspaceId;
        var sessionsEnded = await ResilientTransaction.New(db).ExecuteAsync(async ct =>
        {
            var count = await db.Sessions.CountAsync(ct);
            var deleted = await db.Workspaces.Where(w => w.Id == id).ExecuteDeleteAsync(ct);
            return deleted == 0 ? (int?)null : count;
        }, cancellationToken);
        if (sessionsEnded is null)
        {
            return TypedResults.NotFound(); // deleted meanwhile by another request
        }

        telemetry.SessionsEnded("workspace_deleted", sessionsEnded.Value);
        return TypedResults.NoContent();
    }
}
