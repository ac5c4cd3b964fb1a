using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;

namespace CrmToolkit.AspNetCore.Authorization;

/// <summary>
/// ASP.NET Core's result handler, except that a session for another workspace gets the contract's 404 instead of a
/// 403 that would confirm the workspace exists, and an unproven email address gets a 403 that says what to do. A role
/// below the route's is the framework's 403; no session, its 401.
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

        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailedRequirements
                .Any(r => r is ClaimsAuthorizationRequirement { ClaimType: CrmClaimTypes.EmailVerified }) == true)
        {
            return TypedResults.Problem(
                title: "Email address not verified",
                detail: "Confirm your email address first: open the link mailed to it, or ask for a new one with POST /api/auth/verify-email/resend.",
                statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
        }

        return _framework.HandleAsync(next, context, policy, authorizeResult);
    }
}
