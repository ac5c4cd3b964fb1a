using System.Net;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// Load an attacker can send: forwarded client addresses are believed only from configured proxies, and a storm of
/// logins is bounded (password hashing queues a little, then refuses with 503) instead of starving every request.
/// Each test runs an API instance of its own with the settings it needs, against the AppHost's database.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class AbuseTests(AppFixture app)
{
    private const string FirstClient = "203.0.113.7";
    private const string SecondClient = "198.51.100.23";

    [Fact]
    public async Task BehindAKnownProxyEachForwardedClientHasItsOwnAuthLimit()
    {
        using var api = await ApiProcess.StartAsync(app, new Dictionary<string, string>
        {
            ["ForwardedHeaders__KnownNetworks__0"] = "127.0.0.0/8", // the proxy: every test client's loopback address
            ["Auth__RateLimits__RequestsPerAddress"] = "3",
        });
        using var proxy = api.NewClient();

        for (var i = 0; i < 3; i++)
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await InvalidLoginAsync(proxy, FirstClient)).StatusCode);
        }

        await (await InvalidLoginAsync(proxy, FirstClient)).ReadProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, (await InvalidLoginAsync(proxy, SecondClient)).StatusCode);
    }

    [Fact]
    public async Task AForwardedAddressFromAnUnknownPeerIsIgnored()
    {
        using var api = await ApiProcess.StartAsync(app, new Dictionary<string, string> { ["Auth__RateLimits__RequestsPerAddress"] = "3" });
        using var client = api.NewClient();

        for (var i = 0; i < 3; i++)
        {
            Assert.NotEqual(HttpStatusCode.TooManyRequests, (await InvalidLoginAsync(client, $"203.0.113.{i}")).StatusCode);
        }

        // A new X-Forwarded-For per request buys no new allowance: the client is its TCP peer.
        await (await InvalidLoginAsync(client, SecondClient)).ReadProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task ALoginStormIsRefusedWith503AndRetryAfterWhileOtherRequestsAreServed()
    {
        using var api = await ApiProcess.StartAsync(app, new Dictionary<string, string>
        {
            ["Auth__PasswordHashing__MaxConcurrent"] = "1",
            ["Auth__PasswordHashing__QueueLength"] = "1",
            ["Auth__RateLimits__RequestsPerAddress"] = "100000",
        });
        using var client = api.NewClient();
        var account = await client.RegisterAsync();

        var storm = Enumerable.Range(0, 24).Select(i =>
            client.PostAsync("/api/auth/login", new { email = $"nobody-{i}-{Guid.NewGuid():N}@example.com", password = "wrong password" })).ToList();
        var me = await client.GetAsync("/api/me", account.Token);
        var responses = await Task.WhenAll(storm);

        await me.ReadJsonAsync(HttpStatusCode.OK);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.ServiceUnavailable }));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(refused);
        foreach (var response in refused)
        {
            await response.ReadProblemAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        }

        // A refused attempt was never checked, so it is not a guess against the account's limit.
        await (await client.PostAsync("/api/auth/login", new { email = account.Email, password = account.Password })).ReadJsonAsync(HttpStatusCode.OK);
    }

    private static Task<HttpResponseMessage> InvalidLoginAsync(ApiClient client, string forwardedFor)
    {
        // Refused by validation, after the rate limiter counted it: no password is hashed.
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = System.Net.Http.Json.JsonContent.Create(new { }) };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }
}
