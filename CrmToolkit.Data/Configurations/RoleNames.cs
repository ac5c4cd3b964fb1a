using CrmToolkit.Data.Entities;

namespace CrmToolkit.Data.Configurations;

/// <summary>How <see cref="WorkspaceRole"/> is written in <c>workspace_members.role</c>: the seed's lower-case names.</summary>
internal static class RoleNames
{
    public static string ToDatabase(WorkspaceRole role) => role switch
    {
        WorkspaceRole.Owner => "owner",
        WorkspaceRole.Admin => "admin",
        WorkspaceRole.Member => "member",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role."),
    };

    public static WorkspaceRole FromDatabase(string value) => value switch
    {
        "owner" => WorkspaceRole.Owner,
        "admin" => WorkspaceRole.Admin,
        "member" => WorkspaceRole.Member,
        _ => throw new InvalidOperationException($"Unknown role '{value}' in workspace_members.role."),
    };
}
