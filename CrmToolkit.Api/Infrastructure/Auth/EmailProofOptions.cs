using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>Proof of email and password resets (section <c>Auth:EmailProof</c>): token lifetimes and allowances.</summary>
public sealed class EmailProofOptions
{
    public const string Section = "Auth:EmailProof";

    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan VerificationTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Verification mails a user may ask for again within an hour (the registration's own mail aside).</summary>
    [Range(1, 1000)]
    public int ResendsPerHour { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan ResetTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Password-reset requests per email an hour, whether or not an account has it.</summary>
    [Range(1, 1000)]
    public int ResetsPerEmailPerHour { get; set; } = 5;

    /// <summary>Password-reset requests per client address an hour, over every email.</summary>
    [Range(1, 100_000)]
    public int ResetsPerAddressPerHour { get; set; } = 20;
}
