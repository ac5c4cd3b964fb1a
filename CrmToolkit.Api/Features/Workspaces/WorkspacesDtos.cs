using CrmToolkit.Data;

namespace CrmToolkit.Api.Features.Workspaces;

public sealed record WorkspaceResponse(
    WorkspaceId Id,
    string Name,
    string? Description,
    Guid CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
