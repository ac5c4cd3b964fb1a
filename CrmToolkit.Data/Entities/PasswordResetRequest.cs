namespace CrmToolkit.Data.Entities;

/// <summary>
/// A password-reset request, kept for an hour so that the per-email and per-address allowances hold across every API
/// instance, whether or not an account has the email. The email is kept only as <c>crm_login_failure_key</c>'s hash.
/// </summary>
public sealed class PasswordResetRequest
{
    public long Id { get; set; }
    public required string EmailKey { get; set; }
    public required string ClientAddress { get; set; }
    public DateTimeOffset RequestedAt { get; set; }
}
