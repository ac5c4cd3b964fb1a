using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features.Me;

public sealed record MyWorkspaceResponse(WorkspaceResponse Workspace, WorkspaceRole Role, DateTimeOffset JoinedAt);
