using System.ComponentModel.DataAnnotations;
using CrmToolkit.AspNetCore.Validation;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Features.Workspaces;

public sealed record CreateWorkspaceRequest(
    [Required, NotBlank, PlainText, StringLength(255, MinimumLength = 1)] string Name,
    [PlainText(Multiline = true), MaxLength(10_000)] string? Description,
    // Checked by WorkspaceId.TryParse in the handler (ASCII only, no look-alikes), reported as errors["id"].
    string? Id);

/// <summary>A field left out (or null) stays as it is; an empty description clears it.</summary>
public sealed record UpdateWorkspaceRequest(
    [NotBlank, PlainText, StringLength(255, MinimumLength = 1)] string? Name,
    [PlainText(Multiline = true), MaxLength(10_000)] string? Description);

public sealed record CreatedWorkspaceResponse(WorkspaceResponse Workspace, WorkspaceRole Role, SessionResponse Session);
