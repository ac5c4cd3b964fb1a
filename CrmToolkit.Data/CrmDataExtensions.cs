using CrmToolkit.Data.Query;
using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace CrmToolkit.Data;

public static class CrmDataExtensions
{
    /// <summary>The Aspire connection name of the CRM database (<c>ConnectionStrings:crm</c>).</summary>
    public const string ConnectionName = "crm";

    private static readonly WorkspaceSettingInterceptor WorkspaceSetting = new();

    /// <summary>
    /// Registers one <see cref="NpgsqlDataSource"/> for the process (with Aspire's tracing and metrics, and a
    /// readiness check that logs no stack traces), a pooled <see cref="IDbContextFactory{CrmDbContext}"/> on top of it with transient-error
    /// retries, and a scoped <see cref="CrmDbContext"/> leased from that pool and bound to the
    /// <see cref="ICurrentWorkspace"/> of the scope.
    /// </summary>
    public static IHostApplicationBuilder AddCrmData(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("Crm:Data").Get<CrmDataSettings>() ?? new CrmDataSettings();
        builder.AddNpgsqlDataSource(ConnectionName, npgsql =>
        {
            npgsql.DisableHealthChecks = true;
            // A span per command only when spans leave the process (as ServiceDefaults' IsTelemetryExported decides).
            npgsql.DisableTracing = string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        }, dataSource =>
        {
            // Prepared statements for the hot, repeated queries (session lookup, membership), without
            // changing a line of the queries; a connection string that sets it wins.
            if (dataSource.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                dataSource.ConnectionStringBuilder.MaxAutoPrepare = settings.MaxAutoPrepare;
            }

            // Bounded waits everywhere: for a pooled connection, and for any one statement (server-side).
            dataSource.ConnectionStringBuilder.Timeout = (int)settings.ConnectionTimeout.TotalSeconds;
            var statementTimeout = $"-c statement_timeout={(long)settings.StatementTimeout.TotalMilliseconds}";
            dataSource.ConnectionStringBuilder.Options = string.IsNullOrEmpty(dataSource.ConnectionStringBuilder.Options)
                ? statementTimeout
                : $"{dataSource.ConnectionStringBuilder.Options} {statementTimeout}";

            if (settings.MaxPoolSize is { } maxPoolSize)
            {
                dataSource.ConnectionStringBuilder.MaxPoolSize = maxPoolSize;
            }
        });
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<SessionLookup>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>(ConnectionName);
        builder.Services.AddPooledDbContextFactory<CrmDbContext>(
            (services, options) => options
                .UseNpgsql(
                    services.GetRequiredService<NpgsqlDataSource>(),
                    npgsql =>
                    {
                        // Retries transient failures without EF's buffering of every result set (see the strategy); 0 turns retrying off.
                        if (settings.MaxRetryCount > 0)
                        {
                            npgsql.ExecutionStrategy(dependencies =>
                                new StreamingRetryingExecutionStrategy(dependencies, settings.MaxRetryCount, settings.MaxRetryDelay));
                        }
                    })
                .AddInterceptors(WorkspaceSetting)
                // Compiles each query's row shaper once instead of creating its delegate on every execution.
                .ReplaceService<IQueryCompilationContextFactory, HoistingQueryCompilationContextFactory>()
                // A failed query is the caller's exception to handle (the API answers 503 and logs one line);
                // EF's own error log of it would repeat it with a stack trace, at every outage.
                .ConfigureWarnings(warnings => warnings.Ignore(CoreEventId.QueryIterationFailed)),
            poolSize: settings.DbContextPoolSize);

        // Per-request state goes through a scoped factory, never the pooled context's constructor.
        builder.Services.TryAddScoped<ICurrentWorkspace, NoWorkspace>();
        builder.Services.AddScoped<WorkspaceDbContextFactory>();
        builder.Services.AddScoped(services => services.GetRequiredService<WorkspaceDbContextFactory>().CreateDbContext());
        return builder;
    }

    private sealed class NoWorkspace : ICurrentWorkspace
    {
        public WorkspaceId? WorkspaceId => null;
    }
}

/// <summary>The <c>Crm:Data</c> configuration section.</summary>
public sealed class CrmDataSettings
{
    /// <summary>How many contexts the DbContext pool keeps (EF's default is 1024).</summary>
    public int DbContextPoolSize { get; set; } = 1024;

    /// <summary>Npgsql's <c>Max Auto Prepare</c> unless the connection string sets it.</summary>
    public int MaxAutoPrepare { get; set; } = 64;

    /// <summary>How long a request waits for a pooled connection (or to connect) before failing.</summary>
    public TimeSpan ConnectionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>PostgreSQL's <c>statement_timeout</c> for every connection.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Retries of a transient failure (a dropped connection, a restart), and the longest pause between two.
    /// 0 turns retrying off.
    /// </summary>
    public int MaxRetryCount { get; set; } = 3;

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Overrides the connection string's <c>Maximum Pool Size</c> when set.</summary>
    public int? MaxPoolSize { get; set; }
}
