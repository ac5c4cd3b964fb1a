using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

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
                    context.ClientAddress(),
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

    /// <summary>
    /// An hourly allowance: given the uses of the last hour, newest first (at most <paramref name="allowance"/> of them
    /// are needed), how long until the next one is allowed; <c>null</c> when it is allowed now.
    /// </summary>
    public static TimeSpan? HourlyAllowanceWait(IReadOnlyList<DateTimeOffset> lastHourNewestFirst, int allowance, DateTimeOffset now) =>
        lastHourNewestFirst.Count >= allowance ? lastHourNewestFirst[allowance - 1] + TimeSpan.FromHours(1) - now : null;

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
