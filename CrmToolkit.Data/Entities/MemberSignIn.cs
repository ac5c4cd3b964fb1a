namespace CrmToolkit.Data.Entities;

/// <summary>
/// When a member last started a session in a workspace (signed in, switched to it, accepted its invitation, created
/// it): login without a workspace opens the latest one the user is still a member of. Written by the database itself
/// (a trigger on <c>sessions</c>), so every way of creating a session, a TypeScript package's too, counts.
/// </summary>
public sealed class MemberSignIn : IWorkspaceScoped
{
    public WorkspaceId WorkspaceId { get; set; }
    public Guid UserId { get; set; }
    public DateTimeOffset SignedInAt { get; set; }
}
