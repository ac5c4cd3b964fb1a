using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace CrmToolkit.Api.Infrastructure.Authorization;

/// <summary>
/// ASP.NET Core's result handler, except that a session for another workspace gets the contract's 404 instead of a
/// 403 that would confirm the workspace exists. A role below the route's is the framework's 403; no session, its 401.
/// </summary>
public sealed class WorkspaceAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _framework = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons
                .Any(r => r is { Handler: WorkspaceRoleHandler, Message: WorkspaceRoleHandler.NotThisWorkspace }) == true)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return _framework.HandleAsync(next, context, policy, authorizeResult);
    }
}
