using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// How many password hashes (PBKDF2, 210 000 iterations: a large fraction of a core each) run at once, on threads of
/// the lowest priority, and how many more may wait (configuration section <c>Auth:PasswordHashing</c>; see
/// <see cref="PasswordHashingQueue"/>). Beyond that, registration and login answer 503 with <c>Retry-After</c>, so a
/// storm of logins cannot starve every other request of CPU.
/// </summary>
public sealed class PasswordHashingOptions
{
    public const string Section = "Auth:PasswordHashing";

    /// <summary>Hashes at once (the hashing threads); by default half the cores, at least one.</summary>
    [Range(1, 1024)]
    public int MaxConcurrent { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>The default <see cref="QueueLength"/> per hashing thread.</summary>
    public const int QueuedPerThread = 64;

    /// <summary>
    /// Requests that may wait for a hash; by default <see cref="QueuedPerThread"/> per hashing thread. Long on
    /// purpose: a waiting request costs a few kilobytes and no CPU, while a refused one costs about as much CPU as an
    /// authenticated request and its client sends the next one at once, so a short queue turns a login storm into a
    /// request flood.
    /// </summary>
    [Range(1, 10_000)]
    public int? QueueLength { get; set; }

    /// <summary>
    /// Hashes one client address may have waiting: a few flooding addresses cannot fill the whole queue, and each waits
    /// its turn behind the others (round robin), so a login from another address is served within a few hashes.
    /// </summary>
    [Range(1, 10_000)]
    public int QueuedPerAddress { get; set; } = 8;
}
