using System.ComponentModel.DataAnnotations;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features.Members;

public sealed record MemberResponse(Guid UserId, string Email, string Name, WorkspaceRole Role, DateTimeOffset JoinedAt);

public sealed record ChangeRoleRequest([Required, AllowedValues("owner", "admin", "member")] string Role);
