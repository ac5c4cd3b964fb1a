using System.ComponentModel.DataAnnotations;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.AspNetCore.Validation;

namespace CrmToolkit.Api.Features.Auth;

public sealed record RegisterRequest(
    [Required, EmailAddress, TrimmedEmail, PlainText, MaxLength(255)] string Email,
    [Required, StringLength(Passwords.MaxLength, MinimumLength = Passwords.MinLength)] string Password,
    [Required, NotBlank, PlainText, StringLength(255, MinimumLength = 1)] string Name,
    [NotBlank, PlainText, StringLength(255, MinimumLength = 1)] string? WorkspaceName);

public sealed record LoginRequest(
    [Required, PlainText, MaxLength(255)] string Email,
    [Required, MaxLength(Passwords.MaxLength)] string Password,
    string? WorkspaceId);

public sealed record SwitchRequest([Required] string WorkspaceId);
