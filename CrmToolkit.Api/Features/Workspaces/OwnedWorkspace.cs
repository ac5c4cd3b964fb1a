using CrmToolkit.Data;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features.Workspaces;

/// <summary>
/// A new workspace with its creator as owner: registration, <c>POST /workspaces</c>, and a login that finds the user
/// in no workspace any more.
/// </summary>
internal static class OwnedWorkspace
{
    private const string DefaultNameSuffix = "'s workspace";
    private const int NameMaxLength = 255; // workspaces.name

    /// <summary>The contract's "&lt;name&gt;'s workspace", with a long name cut so that the whole fits the column.</summary>
    public static string DefaultName(string userName)
    {
        var room = NameMaxLength - DefaultNameSuffix.Length;
        if (userName.Length > room)
        {
            // Never cut a surrogate pair in half.
            userName = userName[..(char.IsHighSurrogate(userName[room - 1]) ? room - 1 : room)].TrimEnd();
        }
        return userName + DefaultNameSuffix;
    }

    /// <summary>Adds the workspace and the owner's membership to <paramref name="db"/>, which is bound to the new workspace's id.</summary>
    public static Workspace Add(CrmDbContext db, string name, string? description, Guid ownerId)
    {
        var workspace = new Workspace
        {
            Id = db.CurrentWorkspaceId ?? throw new InvalidOperationException("A new workspace is added through a context bound to its id."),
            Name = name,
            Description = description,
            CreatedBy = ownerId,
        };
        db.Workspaces.Add(workspace);
        db.WorkspaceMembers.Add(new WorkspaceMember { UserId = ownerId, Role = WorkspaceRole.Owner });
        return workspace;
    }
}
