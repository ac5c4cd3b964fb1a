namespace CrmToolkit.Data.Entities;

/// <summary>A signed-in session. <see cref="Id"/> is the SHA-256 (hex) of the bearer token, never the token.</summary>
public sealed class Session : IWorkspaceScoped
{
    public required string Id { get; set; }
    public Guid UserId { get; set; }
    public WorkspaceId WorkspaceId { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
