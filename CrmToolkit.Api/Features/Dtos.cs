using System.Text.Json.Serialization;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features;

// The shapes every feature returns. Entities never leave the API: they are mapped here.

public sealed record UserResponse(Guid Id, string Email, string Name, bool EmailVerified, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static UserResponse From(User user) => new(user.Id, user.Email, user.Name, user.EmailVerified, user.CreatedAt, user.UpdatedAt);

    public static UserResponse From(LoginUserRow user) => new(user.UserId, user.Email, user.Name, user.EmailVerified, user.UserCreatedAt, user.UserUpdatedAt);

    /// <summary>The signed-in user, as the session lookup read it.</summary>
    public static UserResponse From(SessionRow s) => new(s.UserId, s.Email, s.Name, s.EmailVerified, s.UserCreatedAt, s.UserUpdatedAt);
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

    public static WorkspaceResponse From(MembershipRow m) =>
        new(m.WorkspaceId, m.WorkspaceName, m.Description, m.CreatedBy, m.WorkspaceCreatedAt, m.WorkspaceUpdatedAt);

    /// <summary>The signed-in session's workspace, as the session lookup read it.</summary>
    public static WorkspaceResponse From(SessionRow s) =>
        new(s.WorkspaceId, s.WorkspaceName, s.Description, s.CreatedBy, s.WorkspaceCreatedAt, s.WorkspaceUpdatedAt);
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
