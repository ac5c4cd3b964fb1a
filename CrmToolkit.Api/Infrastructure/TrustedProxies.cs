using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure;

public static class TrustedProxies
{
    /// <summary>
    /// The client's address, as the per-address limits and the fair hashing queue key on it: the connection's peer, or
    /// behind a trusted proxy the forwarded one (<see cref="UseTrustedProxies"/> has set it by then). IPv4 clients of a
    /// dual-stack socket count as their IPv4 address.
    /// </summary>
    public static string ClientAddress(this HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address
            ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
            : "unknown";

    /// <summary>
    /// ASP.NET Core's forwarded headers, trusting exactly the proxies of <see cref="TrustedProxyOptions"/> (not the
    /// framework's default of loopback), one hop deep; <see cref="UseTrustedProxies"/> applies them. The framework's
    /// own switch <c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>, which believes every peer, is refused at start.
    /// </summary>
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<TrustedProxyOptions>()
            .BindConfiguration(TrustedProxyOptions.Section)
            .Validate<IConfiguration>((_, configuration) => !configuration.GetValue<bool>("FORWARDEDHEADERS_ENABLED"),
                "ASPNETCORE_FORWARDEDHEADERS_ENABLED would believe X-Forwarded-For from any client: list the proxies in ForwardedHeaders:KnownProxies or KnownNetworks instead.")
            .Validate(o => o.KnownProxies.All(p => IPAddress.TryParse(p, out _)), "ForwardedHeaders:KnownProxies holds a value that is not an IP address.")
            .Validate(o => o.Networks().All(n => System.Net.IPNetwork.TryParse(n, out _)), "ForwardedHeaders:KnownNetworks holds a value that is not a network in CIDR notation (e.g. 10.0.0.0/23).")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<TrustedProxyOptions>>((forwarded, trusted) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in trusted.Value.Networks())
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return services;
    }

    /// <summary>
    /// <c>UseForwardedHeaders()</c> when a proxy is configured. With none it adds nothing: ASP.NET Core believes every
    /// peer when both lists are empty, and the client must then be its TCP peer.
    /// </summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app)
    {
        var trusted = app.ApplicationServices.GetRequiredService<IOptions<TrustedProxyOptions>>().Value;
        return !trusted.KnownProxies.Any() && !trusted.Networks().Any() ? app : app.UseForwardedHeaders();
    }
}
