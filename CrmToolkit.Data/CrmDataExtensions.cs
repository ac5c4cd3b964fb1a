using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace CrmToolkit.Data;

public static class CrmDataExtensions
{
    /// <summary>The Aspire connection name of the CRM database (<c>ConnectionStrings:crm</c>).</summary>
    public const string ConnectionName = "crm";

    /// <summary>
    /// Registers one <see cref="NpgsqlDataSource"/> for the process (with Aspire's health check, tracing and
    /// metrics), a pooled <see cref="IDbContextFactory{CrmDbContext}"/> on top of it with transient-error
    /// retries, and a scoped <see cref="CrmDbContext"/> leased from that pool.
    /// </summary>
    public static IHostApplicationBuilder AddCrmData(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(ConnectionName);
        builder.Services.AddPooledDbContextFactory<CrmDbContext>((services, options) =>
            options.UseNpgsql(
                services.GetRequiredService<NpgsqlDataSource>(),
                npgsql => npgsql.EnableRetryOnFailure()));
        builder.Services.AddScoped(services =>
            services.GetRequiredService<IDbContextFactory<CrmDbContext>>().CreateDbContext());
        return builder;
    }
}
