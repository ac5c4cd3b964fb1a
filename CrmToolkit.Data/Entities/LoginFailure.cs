namespace CrmToolkit.Data.Entities;

/// <summary>
/// A failed login for an account (the hashed, lower-cased email) from a client address, kept for the failed-login
/// window so that the per-address and per-account limits hold across every API instance. Reached only through the
/// database functions <c>crm_begin_login_attempt</c>, <c>crm_forget_login_attempt</c> and <c>crm_purge_login_failures</c>.
/// </summary>
public sealed class LoginFailure
{
    public long Id { get; set; }
    public required string AccountKey { get; set; }
    public DateTimeOffset FailedAt { get; set; }
    public required string ClientAddress { get; set; }
}
