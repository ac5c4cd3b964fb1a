using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Authorization;

namespace CrmToolkit.AspNetCore.Authorization;

/// <summary>
/// The authorization policies of workspace routes (<c>/api/workspaces/{workspaceId}/...</c>): the caller's session
/// is for the route's workspace, with at least the policy's role. Attach with <c>RequireAuthorization(...)</c>: the
/// group with <see cref="Member"/>, a route that needs more with <see cref="Admin"/> or <see cref="Owner"/>.
/// </summary>
public static class WorkspacePolicies
{
    /// <summary>The route value that names the workspace.</summary>
    public const string RouteValue = "workspaceId";

    public const string Member = "WorkspaceMember";
    public const string Admin = "WorkspaceAdmin";
    public const string Owner = "WorkspaceOwner";

    /// <summary>
    /// The signed-in user has proven their email address: what invitations rest on (seeing, answering and sending
    /// them). Combine it with a workspace policy where both apply.
    /// </summary>
    public const string VerifiedEmail = "VerifiedEmail";

    /// <summary>
    /// The three policies, their handler, and the result handler that answers "not this workspace" with the
    /// contract's 404 (one answer for malformed, unknown, foreign and not-the-session's workspaces).
    /// </summary>
    public static IServiceCollection AddWorkspaceAuthorization(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder()
            .AddPolicy(Member, policy => policy.RequireAuthenticatedUser().AddRequirements(new WorkspaceRoleRequirement(WorkspaceRole.Member)))
            .AddPolicy(Admin, policy => policy.RequireAuthenticatedUser().AddRequirements(new WorkspaceRoleRequirement(WorkspaceRole.Admin)))
            .AddPolicy(Owner, policy => policy.RequireAuthenticatedUser().AddRequirements(new WorkspaceRoleRequirement(WorkspaceRole.Owner)))
            .AddPolicy(VerifiedEmail, policy => policy.RequireAuthenticatedUser().RequireClaim(CrmClaimTypes.EmailVerified, "true"));
        services.AddSingleton<IAuthorizationHandler, WorkspaceRoleHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, WorkspaceAuthorizationResultHandler>();
        return services;
    }
}
