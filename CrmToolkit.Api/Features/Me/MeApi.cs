using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CrmToolkit.Api.Features.Me;

public sealed record MyWorkspaceResponse(WorkspaceResponse Workspace, WorkspaceRole Role, DateTimeOffset JoinedAt);

public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/me").WithTags("Me").RequireAuthorization();

        // Served entirely from the session lookup the authentication already did: no further query.
        group.MapGet("/", (CurrentSession current) =>
        {
            var s = current.Session;
            return TypedResults.Ok(new SignedInResponse(
                UserResponse.From(s.User), WorkspaceResponse.From(s.Workspace), s.Role, new SessionResponse(null, s.ExpiresAt)));
        });

        group.MapGet("/workspaces", MyWorkspaces);

        return group;
    }

    private static async Task<Ok<List<MyWorkspaceResponse>>> MyWorkspaces(
        CurrentSession current, CrmDbContext db, CancellationToken cancellationToken)
    {
        var memberships = await CrossWorkspace.MembershipsOfAsync(db, current.Session.User.Id, cancellationToken);
        return TypedResults.Ok(memberships.ConvertAll(m => new MyWorkspaceResponse(WorkspaceResponse.From(m.Workspace), m.Role, m.JoinedAt)));
    }
}
