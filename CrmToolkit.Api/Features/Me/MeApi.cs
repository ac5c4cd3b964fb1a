using System.Security.Claims;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CrmToolkit.Api.Features.Me;

public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/me").WithTags("Me").RequireAuthorization();

        // Served entirely from the session lookup the authentication already did: no further query.
        group.MapGet("/", (ClaimsPrincipal user) => TypedResults.Ok(new SignedInResponse(
            UserResponse.From(user),
            WorkspaceResponse.From(user),
            user.GetRole(),
            new SessionResponse(null, user.GetInstant(CrmClaimTypes.SessionExpiresAt)))));

        group.MapGet("/workspaces", MyWorkspaces);

        return group;
    }

    private static async Task<Ok<List<MyWorkspaceResponse>>> MyWorkspaces(
        ClaimsPrincipal user, CrmDbContext db, CancellationToken cancellationToken)
    {
        var memberships = await CrossWorkspace.MyWorkspacesAsync(db, user.GetWorkspaceId(), user.GetSessionId(), cancellationToken);
        return TypedResults.Ok(memberships.ConvertAll(m => new MyWorkspaceResponse(WorkspaceResponse.From(m), m.Role, m.JoinedAt)));
    }
}
