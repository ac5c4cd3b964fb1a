using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Trace;

namespace CrmToolkit.Data;

public static class CrmDataExtensions
{
    /// <summary>The Aspire connection name of the CRM database (<c>ConnectionStrings:crm</c>).</summary>
    public const string ConnectionName = "crm";

    private static readonly RowLevelSecurityInterceptor RowLevelSecurity = new(citus: false);
    private static readonly RowLevelSecurityInterceptor CitusRowLevelSecurity = new(citus: true);
    private static readonly CitusTransactionSettings CitusTransactions = new();

    /// <summary>
    /// Registers a pooled <see cref="IDbContextFactory{CrmDbContext}"/> with Npgsql's retrying execution strategy,
    /// enriched the Aspire way (metrics, and spans whenever the app traces), the readiness check <c>crm</c>, and
    /// a scoped <see cref="CrmDbContext"/> leased from the pool and bound to the <see cref="CurrentSession"/> of the
    /// scope. Settings: <see cref="CrmDataOptions"/>, validated at start.
    /// </summary>
    public static IHostApplicationBuilder AddCrmData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CrmDataOptions>()
            .BindConfiguration(CrmDataOptions.Section)
            .Configure<IConfiguration>((options, configuration) => options.ConnectionString ??= configuration.GetConnectionString(ConnectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddPooledDbContextFactory<CrmDbContext>((services, options) =>
        {
            var data = services.GetRequiredService<IOptions<CrmDataOptions>>().Value;
            options.UseNpgsql(data.NpgsqlConnectionString(), npgsql => npgsql.EnableRetryOnFailure(data.MaxRetryCount, data.MaxRetryDelay, errorCodesToAdd: null))
                .AddInterceptors(data.Citus ? [CitusRowLevelSecurity, CitusTransactions] : [RowLevelSecurity])
                // A failed command or connection is the caller's exception: the API answers 503 and logs one line
                // naming the cause, the worker exits with one. EF's own events would log every failure and every retry
                // once more, each with a stack trace.
                .ConfigureWarnings(warnings => warnings
                    .Log((RelationalEventId.ConnectionError, LogLevel.Debug), (RelationalEventId.CommandError, LogLevel.Debug),
                        (CoreEventId.ExecutionStrategyRetrying, LogLevel.Debug))
                    .Ignore(CoreEventId.QueryIterationFailed));
        });

        builder.EnrichNpgsqlDbContext<CrmDbContext>(settings =>
        {
            // Readiness must answer now; EF's check would first wait out the retry strategy's back-off.
            settings.DisableHealthChecks = true;
            // Npgsql's spans join the app's tracer provider below, which ServiceDefaults creates only when spans
            // are exported; enabling them here would create a provider in every process.
            settings.DisableTracing = true;
        });
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddNpgsql());
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>(ConnectionName);

        // Per-request state goes through a scoped factory, never the pooled context's constructor.
        builder.Services.AddScoped<CurrentSession>();
        builder.Services.AddScoped<WorkspaceDbContextFactory>();
        builder.Services.AddScoped(services => services.GetRequiredService<WorkspaceDbContextFactory>().CreateDbContext());
        return builder;
    }
}
