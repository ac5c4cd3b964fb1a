using CrmToolkit.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;

namespace CrmToolkit.Api.Infrastructure.Auth;

public static class AuthServiceCollectionExtensions
{
    /// <summary>
    /// The <c>Bearer</c> session scheme, the workspace policies, password hashing, rate limits, trusted proxies and the
    /// purge job; their options are validated at start.
    /// </summary>
    public static IHostApplicationBuilder AddCrmAuth(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SessionLifetimeOptions>().BindConfiguration(SessionLifetimeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthRateLimitOptions>().BindConfiguration(AuthRateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EmailProofOptions>().BindConfiguration(EmailProofOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PasswordHashingOptions>().BindConfiguration(PasswordHashingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.Configure<PasswordHasherOptions>(o =>
        {
            o.CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3;
            o.IterationCount = Passwords.Iterations;
        });

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PasswordHashingQueue>();
        services.AddSingleton<Passwords>();
        services.AddSingleton<SessionIssuer>();

        services.AddAuthentication(SessionAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
        services.AddWorkspaceAuthorization();
        services.AddAuthRateLimiting();
        services.AddTrustedProxies();
        services.AddHostedService<SessionPurgeService>();
        return builder;
    }
}
