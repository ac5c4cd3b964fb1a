using System.ComponentModel.DataAnnotations;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.AspNetCore.Validation;

namespace CrmToolkit.Api.Features.Auth;

public sealed record VerifyEmailRequest([Required] string Token);

public sealed record ForgotPasswordRequest([Required, EmailAddress, TrimmedEmail, PlainText, MaxLength(255)] string Email);

public sealed record ConfirmPasswordResetRequest(
    [Required] string Token,
    [Required, StringLength(Passwords.MaxLength, MinimumLength = Passwords.MinLength)] string Password);
