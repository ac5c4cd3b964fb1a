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

    /// <summary>
    /// The default <see cref="QueuedPerAddress"/> per hashing thread. Long on purpose: a waiting request costs a few
    /// kilobytes and no CPU, while a refused one costs about as much CPU as an authenticated request and its client
    /// sends the next one at once, so a short queue turns a login storm into a request flood.
    /// </summary>
    public const int QueuedPerThread = 64;

    /// <summary>How many addresses' full shares the whole queue holds by default (<see cref="QueueLength"/>).</summary>
    public const int AddressesQueued = 16;

    /// <summary>
    /// Requests that may wait for a hash, from all addresses together: a bound on memory. By default
    /// <see cref="AddressesQueued"/> full shares.
    /// </summary>
    [Range(1, 100_000)]
    public int? QueueLength { get; set; }

    /// <summary>
    /// Requests one client address may have waiting; by default <see cref="QueuedPerThread"/> per hashing thread. A
    /// flooding address waits in its own line, behind the others in turn, and cannot fill the whole queue.
    /// </summary>
    [Range(1, 100_000)]
    public int? QueuedPerAddress { get; set; }
}
