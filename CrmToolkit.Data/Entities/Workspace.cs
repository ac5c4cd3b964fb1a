namespace CrmToolkit.Data.Entities;

public sealed class Workspace
{
    public WorkspaceId Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public Guid CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
