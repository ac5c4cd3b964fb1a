namespace CrmToolkit.Data.Entities;

/// <summary>
/// A row of the database function <c>crm_login_user</c>: the account with one email, with its password hash, which
/// the application role cannot select from <c>users</c> itself.
/// </summary>
public sealed class LoginUserRow
{
    public Guid UserId { get; init; }
    public required string Email { get; init; }
    public required string Name { get; init; }
    public bool EmailVerified { get; init; }
    public required string PasswordHash { get; init; }
    public DateTimeOffset UserCreatedAt { get; init; }
    public DateTimeOffset UserUpdatedAt { get; init; }
}
