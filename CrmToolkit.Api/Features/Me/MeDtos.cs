using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features.Me;

public sealed record MyWorkspaceResponse(WorkspaceResponse Workspace, WorkspaceRole Role, DateTimeOffset JoinedAt);

public sealed record MyWorkspacesPage(IReadOnlyList<MyWorkspaceResponse> Items, string? Next);
