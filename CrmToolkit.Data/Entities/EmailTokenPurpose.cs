namespace CrmToolkit.Data.Entities;

/// <summary>What an <see cref="EmailToken"/> lets its holder do; stored as <c>verify_email</c> or <c>password_reset</c>.</summary>
public enum EmailTokenPurpose
{
    VerifyEmail,
    PasswordReset,
}
