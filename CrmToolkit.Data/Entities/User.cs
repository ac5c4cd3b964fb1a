namespace CrmToolkit.Data.Entities;

public sealed class User
{
    public Guid Id { get; set; }
    public required string Email { get; set; }
    public required string PasswordHash { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Whether the owner of <see cref="Email"/> has proven it (a verification or password-reset link).</summary>
    public bool EmailVerified { get; set; }
}
