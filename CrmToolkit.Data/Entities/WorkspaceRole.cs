namespace CrmToolkit.Data.Entities;

/// <summary>A member's role in a workspace. Ordered: a higher value includes every right of a lower one.</summary>
public enum WorkspaceRole
{
    Member = 0,
    Admin = 1,
    Owner = 2,
}
