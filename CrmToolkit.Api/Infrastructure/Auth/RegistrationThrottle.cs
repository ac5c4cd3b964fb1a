using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Registration attempts per email, on ASP.NET Core's rate limiter (a partitioned sliding window keyed by the
/// lower-cased, normalized email). Per API instance: it only slows abuse down, since the unique index on
/// <c>lower(email)</c> is what guarantees one account per email across instances.
/// </summary>
public sealed class RegistrationThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _registrations;

    public RegistrationThrottle(IOptions<AuthRateLimitOptions> options) =>
        _registrations = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ =>
            new SlidingWindowRateLimiterOptions
            {
                PermitLimit = options.Value.RegistrationsPerAccount,
                Window = options.Value.AccountWindow,
                SegmentsPerWindow = 15,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));

    /// <summary>Consumes a registration permit; returns how long to wait when none is left.</summary>
    public TimeSpan? BlockedFor(string email)
    {
        using var lease = _registrations.AttemptAcquire(email.ToLowerInvariant());
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
    }

    public void Dispose() => _registrations.Dispose();
}
