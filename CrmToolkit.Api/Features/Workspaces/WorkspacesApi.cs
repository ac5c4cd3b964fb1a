using CrmToolkit.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Api.Features.Workspaces;

public static class WorkspacesApi
{
    public static RouteGroupBuilder MapWorkspacesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/workspaces").WithTags("Workspaces");

        group.MapGet("/{workspaceId}", GetWorkspace);

        return group;
    }

    // The id is bound as a string: a malformed id names no workspace, so it is a 404 like an unknown one.
    // Empty 404s become ProblemDetails through UseStatusCodePages.
    private static async Task<Results<Ok<WorkspaceResponse>, NotFound>> GetWorkspace(
        string workspaceId, CrmDbContext db, CancellationToken cancellationToken)
    {
        if (!WorkspaceId.TryParse(workspaceId, out var id))
        {
            return TypedResults.NotFound();
        }

        var workspace = await db.Workspaces.AsNoTracking()
            .Where(w => w.Id == id)
            .Select(w => new WorkspaceResponse(w.Id, w.Name, w.Description, w.CreatedBy, w.CreatedAt, w.UpdatedAt))
            .SingleOrDefaultAsync(cancellationToken);

        return workspace is null ? TypedResults.NotFound() : TypedResults.Ok(workspace);
    }
}
