namespace CrmToolkit.Data.Entities;

/// <summary>
/// A token mailed to prove that its holder reads an address: to verify the email, or to reset the password. Only
/// the SHA-256 (hex) of the token is stored, as <see cref="Id"/>; it is used once, before it expires, through the
/// database functions <c>crm_verify_email</c> and <c>crm_reset_password</c>.
/// </summary>
public sealed class EmailToken
{
    public required string Id { get; set; }
    public Guid UserId { get; set; }
    public EmailTokenPurpose Purpose { get; set; }

    /// <summary>The address the token was mailed to: what using it proves.</summary>
    public required string Email { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? UsedAt { get; set; }
}
