namespace CrmToolkit.Data.Entities;

/// <summary>
/// A row of the database functions <c>crm_my_workspaces_page</c>, <c>crm_my_membership</c> and <c>crm_login_workspace</c>: a
/// workspace of the user, with their role in it.
/// </summary>
public sealed class MembershipRow
{
    public WorkspaceId WorkspaceId { get; init; }
    public required string WorkspaceName { get; init; }
    public string? Description { get; init; }
    public Guid CreatedBy { get; init; }
    public DateTimeOffset WorkspaceCreatedAt { get; init; }
    public DateTimeOffset WorkspaceUpdatedAt { get; init; }
    public WorkspaceRole Role { get; init; }
    public DateTimeOffset JoinedAt { get; init; }
}
