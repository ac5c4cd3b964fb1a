using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CrmToolkit.Api.Infrastructure;

public static class CrmTelemetryExtensions
{
    /// <summary>
    /// Registers <see cref="CrmTelemetry"/> and adds its meter and activity source to the app's OpenTelemetry
    /// providers (the providers themselves, and whether spans are recorded at all, are ServiceDefaults' decision).
    /// </summary>
    public static IServiceCollection AddCrmTelemetry(this IServiceCollection services)
    {
        services.AddSingleton<CrmTelemetry>();
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(CrmTelemetry.Name));
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(CrmTelemetry.Name));
        return services;
    }
}
