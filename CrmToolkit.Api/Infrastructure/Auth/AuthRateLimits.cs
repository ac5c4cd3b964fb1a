using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
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
/// Registration attempts per email, on ASP.NET Core's rate limiter (a partitioned sliding window keyed by the
/// lower-cased email). Per API instance: it only slows abuse down, since the unique index on
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
        using var lease = _registrations.AttemptAcquire(FailedLoginThrottle.AccountKey(email));
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
    }

    public void Dispose() => _registrations.Dispose();
}

/// <summary>
/// Failed logins per account, counted in the database (<c>login_failures</c>), so that the limit holds across
/// every API instance: N replicas must not mean N times the guesses. Each attempt is recorded <em>before</em>
/// the password is checked and counted with every attempt committed before it, so parallel guesses cannot
/// slip past the limit either: the attempt that commits (limit + 1)th sees at least limit + 1 rows. A
/// successful login removes its own row; a failed one stays for the window.
/// </summary>
public sealed class FailedLoginThrottle(IOptions<AuthRateLimitOptions> options, TimeProvider time)
{
    public static string AccountKey(string email) => email.Trim().ToLowerInvariant();

    /// <summary>Records the attempt; returns its id, or how long to wait when the account is over its limit.</summary>
    public async Task<(long AttemptId, TimeSpan? BlockedFor)> BeginAsync(CrmDbContext db, string email, CancellationToken cancellationToken)
    {
        var key = AccountKey(email);
        var now = time.GetUtcNow();
        var attempt = new LoginFailure { AccountKey = key, FailedAt = now };
        db.LoginFailures.Add(attempt);
        await db.SaveChangesAsync(cancellationToken);

        var limit = options.Value.FailedLoginsPerAccount;
        var since = now - options.Value.AccountWindow;
        var recent = await db.LoginFailures
            .Where(f => f.AccountKey == key && f.FailedAt > since)
            .OrderByDescending(f => f.FailedAt)
            .Select(f => f.FailedAt)
            .Take(limit + 1)
            .ToListAsync(cancellationToken);
        if (recent.Count <= limit)
        {
            return (attempt.Id, null);
        }

        await SucceededAsync(db, attempt.Id, cancellationToken); // a refused attempt is not a guess
        return (attempt.Id, recent[limit - 1] + options.Value.AccountWindow - now);
    }

    /// <summary>The attempt was not a failure (the password was right, or it was refused): forget it.</summary>
    public Task SucceededAsync(CrmDbContext db, long attemptId, CancellationToken cancellationToken) =>
        db.LoginFailures.Where(f => f.Id == attemptId).ExecuteDeleteAsync(cancellationToken);

    /// <summary>For the purge job: forgets failures older than the window.</summary>
    public Task<int> ForgetExpiredAsync(CrmDbContext db, CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow() - options.Value.AccountWindow;
        return db.LoginFailures.Where(f => f.FailedAt <= before).ExecuteDeleteAsync(cancellationToken);
    }
}

public static class AuthRateLimiting
{
    public const string PerAddressPolicy = "auth-per-address";

    /// <summary>The per-address limit on <c>/api/auth/*</c>, and 429 ProblemDetails with <c>Retry-After</c>.</summary>
    public static IServiceCollection AddAuthRateLimiting(this IServiceCollection services)
    {
        services.AddSingleton<RegistrationThrottle>();
        services.AddSingleton<FailedLoginThrottle>();
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
