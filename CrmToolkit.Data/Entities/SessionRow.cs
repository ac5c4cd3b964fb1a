namespace CrmToolkit.Data.Entities;

/// <summary>
/// A row of the database function <c>crm_session</c>: a session found by its workspace and token hash, with its
/// membership, user and workspace (never the password hash). Everything an authenticated request needs.
/// </summary>
public sealed class SessionRow
{
    public required string SessionId { get; init; }
    public DateTimeOffset SessionCreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public WorkspaceRole Role { get; init; }
    public DateTimeOffset JoinedAt { get; init; }
    public Guid UserId { get; init; }
    public required string Email { get; init; }
    public required string Name { get; init; }
    public bool EmailVerified { get; init; }
    public DateTimeOffset UserCreatedAt { get; init; }
    public DateTimeOffset UserUpdatedAt { get; init; }
    public WorkspaceId WorkspaceId { get; init; }
    public required string WorkspaceName { get; init; }
    public string? Description { get; init; }
    public Guid CreatedBy { get; init; }
    public DateTimeOffset WorkspaceCreatedAt { get; init; }
    public DateTimeOffset WorkspaceUpdatedAt { get; init; }
}
