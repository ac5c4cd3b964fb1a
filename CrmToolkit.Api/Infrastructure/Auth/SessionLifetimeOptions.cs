using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>Session lifetime (configuration section <c>Auth:Sessions</c>), validated at start.</summary>
public sealed class SessionLifetimeOptions
{
    public const string Section = "Auth:Sessions";

    /// <summary>A session ends after this long without a request.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan SlidingExpiration { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A session ends this long after it was created, however active.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan AbsoluteExpiration { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The sliding expiry is written back at most this often per session.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan RenewalInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the background job deletes expired sessions, and how many per statement.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(10);

    [Range(1, 1_000_000)]
    public int PurgeBatchSize { get; set; } = 1000;

    /// <summary>
    /// <c>expires_at</c> for a session created at <paramref name="createdAt"/> and last used at
    /// <paramref name="now"/>: sliding, capped by the absolute lifetime.
    /// </summary>
    public DateTimeOffset ExpiryFor(DateTimeOffset createdAt, DateTimeOffset now)
    {
        var sliding = now + SlidingExpiration;
        var absolute = createdAt + AbsoluteExpiration;
        return sliding < absolute ? sliding : absolute;
    }

    /// <summary>True when a session is over: idle too long, or older than the absolute lifetime.</summary>
    public bool IsExpired(DateTimeOffset createdAt, DateTimeOffset expiresAt, DateTimeOffset now) =>
        now >= expiresAt || now >= createdAt + AbsoluteExpiration;

    /// <summary>
    /// The new <c>expires_at</c> when a request at <paramref name="now"/> should write one, else <c>null</c>:
    /// at most once per <see cref="RenewalInterval"/> (the last renewal was at <c>expires_at - SlidingExpiration</c>,
    /// so no extra column is needed), and at once when a shortened absolute lifetime caps the session.
    /// </summary>
    public DateTimeOffset? RenewalFor(DateTimeOffset createdAt, DateTimeOffset expiresAt, DateTimeOffset now)
    {
        var target = ExpiryFor(createdAt, now);
        if (target < expiresAt)
        {
            return target;
        }

        var lastRenewal = expiresAt - SlidingExpiration;
        return now - lastRenewal >= RenewalInterval && target > expiresAt ? target : null;
    }
}
