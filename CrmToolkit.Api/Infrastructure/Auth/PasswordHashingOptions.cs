using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// How many password hashes (PBKDF2, 210 000 iterations: a large fraction of a core each) run at once, and how many
/// more may wait (configuration section <c>Auth:PasswordHashing</c>). Beyond that, registration and login answer 503
/// with <c>Retry-After</c>, so a storm of logins cannot starve every other request of CPU.
/// </summary>
public sealed class PasswordHashingOptions
{
    public const string Section = "Auth:PasswordHashing";

    /// <summary>Hashes at once; by default half the cores (at least one), leaving the rest to everything else.</summary>
    [Range(1, 1024)]
    public int MaxConcurrent { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Requests that may wait for a hash: by default 16 per hashing slot, a few seconds' worth at most.</summary>
    [Range(0, 10_000)]
    public int QueueLength { get; set; } = 16 * Math.Max(1, Environment.ProcessorCount / 2);
}
