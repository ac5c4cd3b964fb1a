using System.Text.Json.Serialization;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features;

// The shapes every feature returns. Entities never leave the API: they are mapped here.

public sealed record UserResponse(Guid Id, string Email, string Name, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static UserResponse From(User user) => new(user.Id, user.Email, user.Name, user.CreatedAt, user.UpdatedAt);

    public static UserResponse From(UserInfo user) => new(user.Id, user.Email, user.Name, user.CreatedAt, user.UpdatedAt);
}

public sealed record WorkspaceResponse(
    WorkspaceId Id,
    string Name,
    string? Description,
    Guid CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static WorkspaceResponse From(Workspace workspace) =>
        new(workspace.Id, workspace.Name, workspace.Description, workspace.CreatedBy, workspace.CreatedAt, workspace.UpdatedAt);
}

/// <summary>A session as the client sees it: the token only in the response that creates it.</summary>
public sealed record SessionResponse(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Token,
    DateTimeOffset ExpiresAt)
{
    public static SessionResponse From(IssuedSession session) => new(session.Token, session.ExpiresAt);
}

/// <summary><c>{user, workspace, role, session}</c>: register, login, switch and <c>GET /me</c>.</summary>
public sealed record SignedInResponse(UserResponse User, WorkspaceResponse Workspace, WorkspaceRole Role, SessionResponse Session);
