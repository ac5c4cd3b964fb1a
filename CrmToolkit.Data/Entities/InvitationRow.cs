namespace CrmToolkit.Data.Entities;

/// <summary>
/// A row of the database function <c>crm_my_invitations</c>: a pending, unexpired invitation addressed to the signed-in
/// session's user, with what the invitee needs to decide (the workspace's name, who invited them).
/// </summary>
public sealed class InvitationRow
{
    public Guid InvitationId { get; init; }
    public WorkspaceId WorkspaceId { get; init; }
    public required string WorkspaceName { get; init; }
    public required string Email { get; init; }
    public WorkspaceRole Role { get; init; }
    public Guid InvitedBy { get; init; }
    public required string InviterName { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
}
