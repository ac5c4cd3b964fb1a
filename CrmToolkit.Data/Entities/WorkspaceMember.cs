namespace CrmToolkit.Data.Entities;

public sealed class WorkspaceMember : IWorkspaceScoped
{
    public Guid Id { get; set; }
    public WorkspaceId WorkspaceId { get; set; }
    public Guid UserId { get; set; }
    public WorkspaceRole Role { get; set; } = WorkspaceRole.Member;
    public DateTimeOffset JoinedAt { get; set; }
}
