namespace CrmToolkit.Data.Entities;

/// <summary>
/// A row of the database function <c>crm_workspace_users</c>: a user the bound context may see, that is a member of its
/// workspace or its own user. Read users through it (<see cref="CrmDbContext.WorkspaceUsers"/>), not through
/// <c>users</c>: on Citus row-level security cannot express "a member of this workspace" on <c>users</c>.
/// </summary>
public sealed class WorkspaceUser
{
    public Guid Id { get; init; }
    public required string Email { get; init; }
    public required string Name { get; init; }
}
