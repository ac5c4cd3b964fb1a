using CrmToolkit.Data;
using Microsoft.AspNetCore.Authorization;

namespace CrmToolkit.AspNetCore.Authorization;

/// <summary>
/// Decides <see cref="WorkspaceRoleRequirement"/> from the principal alone (no query): the session's workspace
/// against the route's, then the session's role against the least one. Runs before model binding, so an outsider
/// learns nothing, not even whether their request body was valid.
/// </summary>
public sealed class WorkspaceRoleHandler : AuthorizationHandler<WorkspaceRoleRequirement>
{
    /// <summary>The failure reason that <see cref="WorkspaceAuthorizationResultHandler"/> answers with 404.</summary>
    public const string NotThisWorkspace = "The session is not for the route's workspace.";

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, WorkspaceRoleRequirement requirement)
    {
        if (context.User.FindWorkspaceId() is not { } sessionWorkspace)
        {
            return Task.CompletedTask; // no session: the authenticated-user requirement challenges (401)
        }

        var route = (context.Resource as HttpContext)?.GetRouteValue(WorkspacePolicies.RouteValue) as string;
        if (!WorkspaceId.TryParse(route, out var routeWorkspace) || routeWorkspace != sessionWorkspace)
        {
            context.Fail(new AuthorizationFailureReason(this, NotThisWorkspace));
        }
        else if (context.User.GetRole() < requirement.LeastRole)
        {
            context.Fail(new AuthorizationFailureReason(this, $"The route needs the role {requirement.LeastRole} or higher."));
        }
        else
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
