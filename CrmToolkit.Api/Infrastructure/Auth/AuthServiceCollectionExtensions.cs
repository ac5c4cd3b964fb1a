using CrmToolkit.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;

namespace CrmToolkit.Api.Infrastructure.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>Bearer sessions, password hashing, rate limits, the purge job and CrmToolkit's telemetry.</summary>
    public static IHostApplicationBuilder AddCrmAuth(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SessionLifetimeOptions>().BindConfiguration(SessionLifetimeOptions.Section);
        services.AddOptions<AuthRateLimitOptions>().BindConfiguration(AuthRateLimitOptions.Section);
        services.Configure<PasswordHasherOptions>(o =>
        {
            o.CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3;
            o.IterationCount = Passwords.Iterations;
        });

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<CrmTelemetry>();
        services.AddSingleton<Passwords>();
        services.AddSingleton<SessionIssuer>();
        services.AddScoped<CurrentSession>();
        services.AddScoped<SessionAuthentication>();
        services.AddScoped<ICurrentWorkspace>(sp => sp.GetRequiredService<CurrentSession>());

        services.AddAuthentication(SessionAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddAuthRateLimiting();
        services.AddHostedService<SessionPurgeService>();
        return builder;
    }
}
