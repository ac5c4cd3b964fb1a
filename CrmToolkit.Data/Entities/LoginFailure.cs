namespace CrmToolkit.Data.Entities;

/// <summary>
/// A failed login for an account (the lower-cased email), kept for the failed-login window so that the
/// per-account limit holds across every API instance.
/// </summary>
public sealed class LoginFailure
{
    public long Id { get; set; }
    public required string AccountKey { get; set; }
    public DateTimeOffset FailedAt { get; set; }
}
