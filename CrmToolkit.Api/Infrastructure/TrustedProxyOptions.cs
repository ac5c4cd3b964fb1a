namespace CrmToolkit.Api.Infrastructure;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the API believes (configuration
/// section <c>ForwardedHeaders</c>), validated at start. Empty by default: every client is its TCP peer, and a
/// forwarded header from anyone is ignored. Behind a proxy, list it here, or every client shares the proxy's address
/// (and its per-address rate limit); list nothing else, or any client could claim any address.
/// </summary>
public sealed class TrustedProxyOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of the proxies, e.g. <c>10.0.0.4</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>
    /// Networks the proxies are in, in CIDR notation, e.g. <c>10.0.0.0/23</c> (a Container Apps environment's
    /// infrastructure subnet); an entry may list several, separated by commas (one deployment parameter holds them).
    /// </summary>
    public string[] KnownNetworks { get; set; } = [];

    public IEnumerable<string> Networks() =>
        KnownNetworks.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
