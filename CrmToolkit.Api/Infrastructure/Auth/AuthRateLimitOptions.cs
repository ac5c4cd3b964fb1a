using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>Limits on <c>/api/auth/*</c> (configuration section <c>Auth:RateLimits</c>), validated at start.</summary>
public sealed class AuthRateLimitOptions
{
    public const string Section = "Auth:RateLimits";

    /// <summary>Requests per client address per <see cref="RequestWindow"/> across <c>/api/auth/*</c>.</summary>
    [Range(1, int.MaxValue)]
    public int RequestsPerAddress { get; set; } = 300;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RequestWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failed logins per account from one client address per <see cref="AccountWindow"/>: then that address waits.</summary>
    [Range(1, 10_000)]
    public int FailedLoginsPerAddress { get; set; } = 10;

    /// <summary>
    /// Failed logins per account from all addresses together per <see cref="AccountWindow"/>: a ceiling well above
    /// <see cref="FailedLoginsPerAddress"/>, so that strangers cannot lock the owner out, but a botnet cannot guess forever.
    /// </summary>
    [Range(1, 100_000)]
    public int FailedLoginsPerAccount { get; set; } = 100;

    /// <summary>Registration attempts per email per <see cref="AccountWindow"/>.</summary>
    [Range(1, 10_000)]
    public int RegistrationsPerAccount { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AccountWindow { get; set; } = TimeSpan.FromMinutes(15);
}
