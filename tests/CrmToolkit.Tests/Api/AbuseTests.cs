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

    [Fact]
    public async Task AUserCreatesAtMostTenWorkspacesAnHour()
    {
        using var api = await ApiProcess.StartAsync(app);
        using var client = api.NewClient();
        var account = await client.RegisterAsync();

        var created = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            client.PostAsync("/api/workspaces", new { name = $"Burst {i}" }, account.Token)));

        Assert.Equal(10, created.Count(r => r.StatusCode == HttpStatusCode.Created));
        var refused = created.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        await refused.ReadProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.Equal(10L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM workspaces WHERE created_by = $1 AND id <> $2", account.UserId, account.WorkspaceId));

        // The allowance follows the user, not the API: another user is not affected.
        var other = await client.RegisterAsync();
        await (await client.PostAsync("/api/workspaces", new { name = "Mine" }, other.Token)).ReadJsonAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task AnInviterSendsAtMostTheirHourlyAllowanceAcrossAllTheirWorkspaces()
    {
        using var api = await ApiProcess.StartAsync(app, new Dictionary<string, string> { ["Invitations__PerInviterPerHour"] = "3" });
        using var client = api.NewClient();
        var owner = await client.RegisterAsync();
        var second = await (await client.PostAsync("/api/workspaces", new { name = "Fresh" }, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        var fresh = owner with
        {
            WorkspaceId = second.GetProperty("workspace").GetProperty("id").GetString()!,
            Token = second.GetProperty("session").GetProperty("token").GetString()!,
        };

        await client.InviteAsync(owner, $"a-{Guid.NewGuid():N}@example.com", "member");
        await client.InviteAsync(owner, $"b-{Guid.NewGuid():N}@example.com", "member");
        await client.InviteAsync(fresh, $"c-{Guid.NewGuid():N}@example.com", "member");
        var refused = await client.PostAsync($"/api/workspaces/{fresh.WorkspaceId}/invitations", new { email = $"d-{Guid.NewGuid():N}@example.com", role = "member" }, fresh.Token);

        await refused.ReadProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(3L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM invitations WHERE invited_by = $1", owner.UserId));
    }

    [Fact]
    public async Task ManyAddressesTogetherStopAtTheAccountsCeiling()
    {
        using var api = await ApiProcess.StartAsync(app, new Dictionary<string, string>
        {
            ["Auth__RateLimits__FailedLoginsPerAddress"] = "3",
            ["Auth__RateLimits__FailedLoginsPerAccount"] = "5",
        });
        using var first = api.NewClient();
        using var second = api.NewClient();
        using var third = api.NewClient();
        var account = await first.RegisterAsync();

        async Task<HttpStatusCode> Guess(ApiClient client) =>
            (await client.PostAsync("/api/auth/login", new { email = account.Email, password = "a wrong password" })).StatusCode;

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests],
            [await Guess(first), await Guess(first), await Guess(first), await Guess(first)]);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests],
            [await Guess(second), await Guess(second), await Guess(second)]);
        // Five failures in all: every address now waits, the right password included.
        await (await third.PostAsync("/api/auth/login", new { email = account.Email, password = account.Password })).ReadProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task WhileThreeAddressesFloodLoginAnotherAddressStillSignsIn()
    {
        using var api = await ApiProcess.StartAsync(app, new Dictionary<string, string>
        {
            ["Auth__PasswordHashing__MaxConcurrent"] = "1",
            ["Auth__PasswordHashing__QueueLength"] = "50",
            ["Auth__PasswordHashing__QueuedPerAddress"] = "16",
            ["Auth__RateLimits__RequestsPerAddress"] = "100000",
        });
        using var victim = api.NewClient();
        var account = await victim.RegisterAsync();
        var flooders = Enumerable.Range(0, 3).Select(_ => api.NewClient()).ToList();

        // 3 × 20 logins at once: more than the whole queue of 50, so without per-address shares the victim would find it full.
        var flood = flooders.SelectMany(f => Enumerable.Range(0, 20).Select(i =>
            f.PostAsync("/api/auth/login", new { email = $"nobody-{i}-{Guid.NewGuid():N}@example.com", password = "wrong password" }))).ToList();
        await Task.Delay(200);
        var login = await victim.PostAsync("/api/auth/login", new { email = account.Email, password = account.Password });
        var flooded = await Task.WhenAll(flood);

        await login.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Contains(flooded, r => r.StatusCode == HttpStatusCode.ServiceUnavailable); // each flooder's share was full
        flooders.ForEach(f => f.Dispose());
    }

    private static Task<HttpResponseMessage> InvalidLoginAsync(ApiClient client, string forwardedFor)
    {
        // Refused by validation, after the rate limiter counted it: no password is hashed.
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = System.Net.Http.Json.JsonContent.Create(new { }) };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }
}
