using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using CrmToolkit.AspNetCore.Validation;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features.Invitations;

public sealed record CreateInvitationRequest(
    [Required, EmailAddress, TrimmedEmail, PlainText, MaxLength(255)] string Email,
    [Required, AllowedValues("owner", "admin", "member")] string Role);

public sealed record InviterResponse(Guid UserId, string? Name);

public sealed record InvitedToResponse(WorkspaceId Id, string Name);

/// <summary>An invitation; the invitee's view (<c>/me/invitations</c>) also names the workspace.</summary>
public sealed record InvitationResponse(
    Guid Id,
    string Email,
    WorkspaceRole Role,
    InviterResponse InvitedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] InvitedToResponse? Workspace = null)
{
    public static InvitationResponse From(InvitationRow i) =>
        new(i.InvitationId, i.Email, i.Role, new InviterResponse(i.InvitedBy, i.InviterName), i.CreatedAt, i.ExpiresAt,
            new InvitedToResponse(i.WorkspaceId, i.WorkspaceName));
}
