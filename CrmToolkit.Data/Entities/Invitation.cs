namespace CrmToolkit.Data.Entities;

/// <summary>
/// An invitation to join a workspace, addressed to an email (matched case-insensitively against the account that
/// answers it). A workspace table like any package's. Answered or revoked invitations stay, with their status, for the
/// hourly allowance; only a <see cref="InvitationStatus.Pending"/> one that has not expired can be accepted.
/// </summary>
public sealed class Invitation : IWorkspaceScoped
{
    public Guid Id { get; set; }
    public WorkspaceId WorkspaceId { get; set; }
    public required string Email { get; set; }
    public WorkspaceRole Role { get; set; }
    public Guid InvitedBy { get; set; }
    public InvitationStatus Status { get; set; } = InvitationStatus.Pending;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? AnsweredAt { get; set; }
}
