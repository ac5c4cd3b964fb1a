using CrmToolkit.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CrmToolkit.Tests.Foundation;

/// <summary>
/// Spans (ASP.NET Core's and Npgsql's) are recorded only when an OTLP endpoint receives them; metrics always.
/// The services are composed as the API composes them (ServiceDefaults, then the data layer), not started.
/// </summary>
public sealed class TelemetryTests
{
    [Fact]
    public void WithoutAnOtlpEndpointNoSpansAreRecorded()
    {
        using var host = Compose(otlpEndpoint: null);

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void WithAnOtlpEndpointSpansAreRecorded()
    {
        using var host = Compose(otlpEndpoint: "http://127.0.0.1:4317");

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    private static IHost Compose(string? otlpEndpoint)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:crm"] = "Host=127.0.0.1;Database=crm;Username=crm_app",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlpEndpoint,
        });
        builder.AddServiceDefaults();
        builder.AddCrmData();
        return builder.Build();
    }
}
