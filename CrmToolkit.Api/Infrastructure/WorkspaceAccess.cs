using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Infrastructure;

/// <summary>Marks a route group whose routes act in the workspace named by the <c>{workspaceId}</c> route value.</summary>
public sealed class WorkspaceScopedMetadata;

/// <summary>The least role a workspace route needs (default <see cref="WorkspaceRole.Member"/>).</summary>
public sealed record RequiredWorkspaceRole(WorkspaceRole Role);

public static class WorkspaceAccess
{
    public const string RouteValue = "workspaceId";

    /// <summary>
    /// Makes every route of <paramref name="group"/> require a session whose workspace is <c>{workspaceId}</c>.
    /// Enforced by <see cref="UseWorkspaceAccess"/> before parameter binding, so that an outsider learns
    /// nothing, not even whether their request body was valid.
    /// </summary>
    public static RouteGroupBuilder RequireWorkspaceMember(this RouteGroupBuilder group) =>
        group.RequireAuthorization().WithMetadata(new WorkspaceScopedMetadata());

    /// <summary>Raises the least role the route needs.</summary>
    public static TBuilder RequireWorkspaceRole<TBuilder>(this TBuilder builder, WorkspaceRole role)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredWorkspaceRole(role));

    /// <summary>
    /// For workspace routes: 404 when <c>{workspaceId}</c> is malformed, unknown, not the caller's or not the
    /// workspace of the caller's session (one response for all four); 403 when the caller's role is too low.
    /// Runs after authentication and authorization (so a missing session is a 401 first).
    /// </summary>
    public static IApplicationBuilder UseWorkspaceAccess(this IApplicationBuilder app) =>
        // Not async: it runs on every request and never awaits anything itself, so it hands next's task on
        // rather than adding a state machine to every request.
        app.Use(next => context =>
        {
            var endpoint = context.GetEndpoint();
            if (endpoint?.Metadata.GetMetadata<WorkspaceScopedMetadata>() is null)
            {
                return next(context);
            }

            var session = context.RequestServices.GetRequiredService<CurrentSession>();
            if (!session.IsAuthenticated
                || !WorkspaceId.TryParse(context.GetRouteValue(RouteValue) as string, out var workspaceId)
                || session.Session.Workspace.Id != workspaceId)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            var required = endpoint.Metadata.GetMetadata<RequiredWorkspaceRole>()?.Role ?? WorkspaceRole.Member;
            if (session.Session.Role < required)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }

            return next(context);
        });
}
