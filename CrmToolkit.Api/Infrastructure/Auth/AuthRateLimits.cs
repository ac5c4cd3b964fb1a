using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>Limits on <c>/api/auth/*</c> (configuration section <c>Auth:RateLimits</c>).</summary>
public sealed class AuthRateLimitOptions
{
    public const string Section = "Auth:RateLimits";

    /// <summary>Requests per client address per <see cref="RequestWindow"/> across <c>/api/auth/*</c>.</summary>
    public int RequestsPerAddress { get; set; } = 300;
    public TimeSpan RequestWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failed logins per account per <see cref="AccountWindow"/>.</summary>
    public int FailedLoginsPerAccount { get; set; } = 10;

    /// <summary>Registration attempts per email per <see cref="AccountWindow"/>.</summary>
    public int RegistrationsPerAccount { get; set; } = 10;
    public TimeSpan AccountWindow { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>
/// Per-account limits, on ASP.NET Core's rate limiter: partitioned sliding windows keyed by the lower-cased
/// email. A login consumes a permit only when it fails; registration consumes one per attempt.
/// </summary>
public sealed class AccountThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failedLogins;
    private readonly PartitionedRateLimiter<string> _registrations;

    public AccountThrottle(IOptions<AuthRateLimitOptions> options)
    {
        var o = options.Value;
        _failedLogins = SlidingWindow(o.FailedLoginsPerAccount, o.AccountWindow);
        _registrations = SlidingWindow(o.RegistrationsPerAccount, o.AccountWindow);
    }

    /// <summary>When the account has no failed-login permits left: how long until it has one.</summary>
    public TimeSpan? LoginBlockedFor(string email) => Blocked(_failedLogins.AttemptAcquire(Key(email), permitCount: 0));

    public void LoginFailed(string email) => _failedLogins.AttemptAcquire(Key(email)).Dispose();

    /// <summary>Consumes a registration permit; returns how long to wait when none is left.</summary>
    public TimeSpan? RegistrationBlockedFor(string email) => Blocked(_registrations.AttemptAcquire(Key(email)));

    public void Dispose()
    {
        _failedLogins.Dispose();
        _registrations.Dispose();
    }

    private static string Key(string email) => email.Trim().ToLowerInvariant();

    private static TimeSpan? Blocked(RateLimitLease lease)
    {
        using (lease)
        {
            if (lease.IsAcquired)
            {
                return null;
            }

            return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
        }
    }

    private static PartitionedRateLimiter<string> SlidingWindow(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ =>
            new SlidingWindowRateLimiterOptions
            {
                PermitLimit = permits,
                Window = window,
                SegmentsPerWindow = 15,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
}

public static class AuthRateLimiting
{
    public const string PerAddressPolicy = "auth-per-address";

    /// <summary>The per-address limit on <c>/api/auth/*</c>, and 429 ProblemDetails with <c>Retry-After</c>.</summary>
    public static IServiceCollection AddAuthRateLimiting(this IServiceCollection services)
    {
        services.AddSingleton<AccountThrottle>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(PerAddressPolicy, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<AuthRateLimitOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = options.RequestsPerAddress, Window = options.RequestWindow, QueueLimit = 0 });
            });
            limiter.OnRejected = (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                return new ValueTask(TooManyRequests(context.HttpContext, retryAfter).ExecuteAsync(context.HttpContext));
            };
        });
        return services;
    }

    /// <summary>A 429 ProblemDetails with <c>Retry-After</c> in whole seconds (rounded up).</summary>
    public static ProblemHttpResult TooManyRequests(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests",
            Detail = $"Try again in {seconds} seconds.",
        });
    }
}
