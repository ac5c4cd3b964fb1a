using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Authorization;

namespace CrmToolkit.AspNetCore.Authorization;

/// <summary>The caller's session is for the route's <c>{workspaceId}</c>, with at least <see cref="LeastRole"/>.</summary>
public sealed class WorkspaceRoleRequirement(WorkspaceRole leastRole) : IAuthorizationRequirement
{
    public WorkspaceRole LeastRole { get; } = leastRole;
}
