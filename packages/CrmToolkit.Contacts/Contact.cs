using CrmToolkit.Data;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Contacts;

/// <summary>The first feature package's entity: a person a workspace keeps in touch with.</summary>
public sealed class Contact : IWorkspaceScoped
{
    public Guid Id { get; set; }
    public WorkspaceId WorkspaceId { get; set; }
    public required string FirstName { get; set; }
    public string? LastName { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? Company { get; set; }
    public string? Notes { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
