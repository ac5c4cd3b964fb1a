using System.ComponentModel.DataAnnotations;
using CrmToolkit.Api.Infrastructure;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features.Members;

public sealed record MemberResponse(Guid UserId, string Email, string Name, WorkspaceRole Role, DateTimeOffset JoinedAt);

public sealed record MembersPage(IReadOnlyList<MemberResponse> Items, string? Next);

public sealed record AddMemberRequest(
    [Required, PlainText, MaxLength(255)] string Email,
    [Required, AllowedValues("owner", "admin", "member")] string Role);

public sealed record ChangeRoleRequest([Required, AllowedValues("owner", "admin", "member")] string Role);
