using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class AuthTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task RegistrationCreatesUserOwnedWorkspaceAndSessionInOneGo()
    {
        var email = $"Grace.{Guid.NewGuid():N}@Example.com";
        var response = await _client.PostAsync("/api/auth/register", new { email, password = "correct horse", name = "Grace" });

        var body = await response.ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(email, body.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal("Grace's workspace", body.GetProperty("workspace").GetProperty("name").GetString());
        Assert.Equal("owner", body.GetProperty("role").GetString());
        var token = body.GetProperty("session").GetProperty("token").GetString()!;
        Assert.True(body.GetProperty("session").GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddDays(6.9));
        Assert.DoesNotContain("password", body.ToString(), StringComparison.OrdinalIgnoreCase);

        var userId = body.GetProperty("user").GetProperty("id").GetGuid();
        var workspaceId = body.GetProperty("workspace").GetProperty("id").GetString()!;
        Assert.Equal("owner", await app.Database.ScalarAsync<string>(
            "SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", workspaceId, userId));
        Assert.Equal(Sha256Hex(token), await app.Database.ScalarAsync<string>("SELECT id FROM sessions WHERE user_id = $1", userId));

        var me = await (await _client.GetAsync("/api/me", token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(workspaceId, me.GetProperty("workspace").GetProperty("id").GetString());
        Assert.False(me.GetProperty("session").TryGetProperty("token", out _));
    }

    [Fact]
    public async Task RegistrationUsesTheGivenWorkspaceName()
    {
        var account = await _client.RegisterAsync(workspaceName: "Acme Sales");

        var workspace = await (await _client.GetAsync($"/api/workspaces/{account.WorkspaceId}", account.Token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Acme Sales", workspace.GetProperty("name").GetString());
    }

    [Fact]
    public async Task ALongNameStillGetsItsDefaultWorkspaceNameWithinTheColumn()
    {
        var name = new string('n', 254) + "x";
        var registered = await (await _client.PostAsync("/api/auth/register",
            new { email = $"long-{Guid.NewGuid():N}@example.com", password = "correct horse battery", name })).ReadJsonAsync(HttpStatusCode.Created);

        var workspaceName = registered.GetProperty("workspace").GetProperty("name").GetString()!;
        Assert.Equal(255, workspaceName.Length);
        Assert.Equal(new string('n', 243) + "'s workspace", workspaceName);
    }

    public static TheoryData<string, object> InvalidRegistrations => new()
    {
        { "email", new { email = "not-an-email", password = "correct horse", name = "n" } },
        { "password", new { email = "a@example.com", password = "short", name = "n" } },
        { "password", new { email = "a@example.com", password = new string('p', 129), name = "n" } },
        { "name", new { email = "a@example.com", password = "correct horse" } },
        { "email", new { password = "correct horse", name = "n" } },
        { "workspaceName", new { email = "a@example.com", password = "correct horse", name = "n", workspaceName = "" } },
        { "name", new { email = "a@example.com", password = "correct horse", name = "   " } },
    };

    [Theory]
    [MemberData(nameof(InvalidRegistrations))]
    public async Task InvalidRegistrationIsAValidationProblemNamingTheField(string field, object request)
    {
        var problem = await (await _client.PostAsync("/api/auth/register", request)).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task AnEmailIsTakenWhateverItsCase()
    {
        var account = await _client.RegisterAsync();

        var response = await _client.PostAsync("/api/auth/register",
            new { email = account.Email.ToUpperInvariant(), password = "another password", name = "Copycat" });

        await response.ReadProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task ParallelRegistrationsOfOneEmailLetExactlyOneThrough()
    {
        var clients = Enumerable.Range(0, 50).Select(_ => app.NewClient()).ToList();
        for (var round = 0; round < 3; round++)
        {
            // Fifty clients at once; the later rounds vary the case, which the unique index must also catch.
            var email = $"race-{Guid.NewGuid():N}@example.com";
            var responses = await Task.WhenAll(clients.Select((c, i) =>
                c.PostAsync("/api/auth/register", new { email = round == 0 || i % 2 == 0 ? email : email.ToUpperInvariant(), password = "correct horse", name = "Racer" })));

            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r =>
                Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Conflict, HttpStatusCode.TooManyRequests }));
            Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM users WHERE lower(email) = $1", email));
            Assert.Equal(1L, await app.Database.ScalarAsync<long>(
                "SELECT count(*) FROM workspaces w JOIN users u ON u.id = w.created_by WHERE lower(u.email) = $1", email));
        }

        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task LoginOpensTheWorkspaceLastSignedInTo()
    {
        var owner = await _client.RegisterAsync();
        var user = await _client.RegisterAsync();
        await _client.AddMemberAsync(owner, user, "member"); // accepting opened a session there

        var body = await (await _client.PostAsync("/api/auth/login", new { email = user.Email.ToUpperInvariant(), password = user.Password }))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(owner.WorkspaceId, body.GetProperty("workspace").GetProperty("id").GetString());
        Assert.Equal("member", body.GetProperty("role").GetString());

        // Back to their own workspace, then out: the next plain login opens it again.
        var token = body.GetProperty("session").GetProperty("token").GetString()!;
        var own = await (await _client.PostAsync("/api/auth/switch", new { workspaceId = user.WorkspaceId }, token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.PostAsync("/api/auth/logout", null, own.GetProperty("session").GetProperty("token").GetString())).ReadJsonAsync(HttpStatusCode.NoContent);
        var again = await (await _client.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(user.WorkspaceId, again.GetProperty("workspace").GetProperty("id").GetString());
    }

    [Fact]
    public async Task AWorkspaceTheUserLeftIsNeverOpenedAgainAtLogin()
    {
        var owner = await _client.RegisterAsync();
        var user = await _client.RegisterAsync();
        await _client.AddMemberAsync(owner, user, "member"); // their latest sign-in
        await (await _client.DeleteAsync($"/api/workspaces/{owner.WorkspaceId}/members/{user.UserId}", owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);

        var body = await (await _client.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password })).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(user.WorkspaceId, body.GetProperty("workspace").GetProperty("id").GetString());
    }

    [Fact]
    public async Task AUserLeftWithNoWorkspaceGetsAWorkspaceOfTheirOwnAtLogin()
    {
        var user = await _client.RegisterAsync();
        await (await _client.DeleteAsync($"/api/workspaces/{user.WorkspaceId}", user.Token)).ReadJsonAsync(HttpStatusCode.NoContent);

        var body = await (await _client.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password })).ReadJsonAsync(HttpStatusCode.OK);

        var workspace = body.GetProperty("workspace");
        Assert.NotEqual(user.WorkspaceId, workspace.GetProperty("id").GetString());
        Assert.Equal("Test User's workspace", workspace.GetProperty("name").GetString());
        Assert.Equal("owner", body.GetProperty("role").GetString());
        var token = body.GetProperty("session").GetProperty("token").GetString()!;
        var me = await (await _client.GetAsync("/api/me", token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(workspace.GetProperty("id").GetString(), me.GetProperty("workspace").GetProperty("id").GetString());
        // Registering again is still refused: the account exists.
        await (await _client.PostAsync("/api/auth/register", new { email = user.Email, password = user.Password, name = "Again" })).ReadProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task LoginIntoANamedWorkspaceNeedsMembership()
    {
        var user = await _client.RegisterAsync();
        var stranger = await _client.RegisterAsync();

        var own = await (await _client.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password, workspaceId = user.WorkspaceId }))
            .ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(user.WorkspaceId, own.GetProperty("workspace").GetProperty("id").GetString());

        await (await _client.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password, workspaceId = stranger.WorkspaceId }))
            .ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password, workspaceId = "not a workspace" }))
            .ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task UnknownEmailAndWrongPasswordAreIndistinguishable()
    {
        var user = await _client.RegisterAsync();

        var wrongPassword = await _client.PostAsync("/api/auth/login", new { email = user.Email, password = "wrong password" });
        var unknownEmail = await _client.PostAsync("/api/auth/login", new { email = $"nobody-{Guid.NewGuid():N}@example.com", password = "wrong password" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(wrongPassword.StatusCode, unknownEmail.StatusCode);
        Assert.Equal(WithoutTraceId(await wrongPassword.ReadProblemAsync(HttpStatusCode.Unauthorized)),
            WithoutTraceId(await unknownEmail.ReadProblemAsync(HttpStatusCode.Unauthorized)));
    }

    [Fact]
    public async Task TenFailedLoginsFromOneAddressBlockThatAddressWhileTheOwnerSignsInFromAnother()
    {
        var user = await _client.RegisterAsync();
        for (var i = 0; i < 10; i++)
        {
            await (await _client.PostAsync("/api/auth/login", new { email = user.Email, password = $"wrong {i}" }))
                .ReadProblemAsync(HttpStatusCode.Unauthorized);
        }

        // Even the right password is refused from that address now...
        var response = await _client.PostAsync("/api/auth/login", new { email = user.Email.ToUpperInvariant(), password = user.Password });
        await response.ReadProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single()) > 0);

        // ...but a stranger's guesses do not lock the owner out: from their own address they sign in.
        using var owner = app.NewClient();
        await (await owner.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password })).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ParallelGuessesCannotSlipPastTheFailedLoginLimit()
    {
        var user = await _client.RegisterAsync();

        // Thirty at once from one address.
        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            _client.PostAsync("/api/auth/login", new { email = user.Email, password = $"guess {i}" })));

        // 503: beyond the address's share of the hashing queue; never checked, so not a guess either.
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable }));
        var guesses = responses.Count(r => r.StatusCode == HttpStatusCode.Unauthorized);
        Assert.InRange(guesses, 0, 10); // all 30 may even be refused, when every insert lands before any count

        // Refused attempts are not guesses: keep guessing one at a time until refused. In all, exactly ten got through.
        while ((await _client.PostAsync("/api/auth/login", new { email = user.Email, password = "one more" })).StatusCode == HttpStatusCode.Unauthorized)
        {
            guesses++;
            Assert.True(guesses <= 10, "More than ten guesses were checked in one window.");
        }

        Assert.Equal(10, guesses);
        await (await _client.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password })).ReadProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task AStoredHashOfAnotherFormatIsAWrongPasswordNotAnError()
    {
        var email = $"foreign-{Guid.NewGuid():N}@example.com";
        await app.Database.ExecuteAsync("INSERT INTO users (email, password_hash, name) VALUES ($1, '$2b$10$notAnIdentityHash', 'Foreign')", email);

        var problem = await (await _client.PostAsync("/api/auth/login", new { email, password = "whatever123" })).ReadProblemAsync(HttpStatusCode.Unauthorized);

        Assert.Equal("Invalid email or password", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task ParallelSwitchesWithOneTokenYieldOneSessionAndTheLosersAre401()
    {
        var owner = await _client.RegisterAsync();
        var user = await _client.RegisterAsync();
        await _client.AddMemberAsync(owner, user, "member");

        for (var round = 0; round < 8; round++)
        {
            var token = await _client.LoginAsync(user, user.WorkspaceId);
            var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
                _client.PostAsync("/api/auth/switch", new { workspaceId = owner.WorkspaceId }, token)));

            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            // Whether the loser's session was gone before it was read or ended while it ran: the same challenge, never a 404.
            Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r =>
            {
                Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
                Assert.Equal("Bearer", r.Headers.WwwAuthenticate.ToString());
            });
        }
    }

    [Fact]
    public async Task OneAddressGetsThreeHundredAuthRequestsAMinute()
    {
        using var client = app.NewClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 300; i++)
        {
            statuses.Add((await client.PostAsync("/api/auth/login", new { })).StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.BadRequest, s));
        var over = await client.PostAsync("/api/auth/login", new { });
        await over.ReadProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(int.Parse(over.Headers.GetValues("Retry-After").Single()) > 0);

        // Another address is not affected.
        await (await _client.PostAsync("/api/auth/login", new { })).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PasswordsAreHashedWithPbkdf2Sha512AtOwaspIterations()
    {
        var user = await _client.RegisterAsync();

        var hash = await app.Database.ScalarAsync<string>("SELECT password_hash FROM users WHERE id = $1", user.UserId);

        var (prf, iterations) = DecodeIdentityV3(hash);
        Assert.Equal(2, prf); // HMACSHA512
        Assert.Equal(210_000, iterations);
        Assert.DoesNotContain(user.Password, hash);
    }

    [Fact]
    public async Task AnOlderHashIsUpgradedAtTheNextSuccessfulLogin()
    {
        const string password = "legacy password";
        var oldHasher = new Microsoft.AspNetCore.Identity.PasswordHasher<object>(Microsoft.Extensions.Options.Options.Create(
            new Microsoft.AspNetCore.Identity.PasswordHasherOptions { IterationCount = 100_000 }));
        var email = $"legacy-{Guid.NewGuid():N}@example.com";
        var userId = await app.Database.ScalarAsync<Guid>(
            "INSERT INTO users (email, password_hash, name) VALUES ($1, $2, 'Legacy') RETURNING id", email, oldHasher.HashPassword(new object(), password));
        var workspace = await app.Database.InsertWorkspaceAsync(userId);
        await app.Database.ExecuteAsync("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner')", workspace, userId);

        await (await _client.PostAsync("/api/auth/login", new { email, password })).ReadJsonAsync(HttpStatusCode.OK);

        var upgraded = await app.Database.ScalarAsync<string>("SELECT password_hash FROM users WHERE id = $1", userId);
        Assert.Equal(210_000, DecodeIdentityV3(upgraded).Iterations);
        await (await _client.PostAsync("/api/auth/login", new { email, password })).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SwitchingGivesANewSessionAndEndsTheCallingOne()
    {
        var owner = await _client.RegisterAsync();
        var user = await _client.RegisterAsync();
        await _client.AddMemberAsync(owner, user, "admin");

        var body = await (await _client.PostAsync("/api/auth/switch", new { workspaceId = owner.WorkspaceId }, user.Token))
            .ReadJsonAsync(HttpStatusCode.OK);
        var newToken = body.GetProperty("session").GetProperty("token").GetString()!;

        Assert.Equal("admin", body.GetProperty("role").GetString());
        var me = await (await _client.GetAsync("/api/me", newToken)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(owner.WorkspaceId, me.GetProperty("workspace").GetProperty("id").GetString());
        await (await _client.GetAsync("/api/me", user.Token)).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SwitchingToAWorkspaceYouAreNotInIsNotFoundAndKeepsTheSession()
    {
        var user = await _client.RegisterAsync();
        var stranger = await _client.RegisterAsync();

        await (await _client.PostAsync("/api/auth/switch", new { workspaceId = stranger.WorkspaceId }, user.Token))
            .ReadProblemAsync(HttpStatusCode.NotFound);

        await (await _client.GetAsync("/api/me", user.Token)).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task LogoutEndsTheSessionAtOnce()
    {
        var user = await _client.RegisterAsync();

        await (await _client.PostAsync("/api/auth/logout", null, user.Token)).ReadJsonAsync(HttpStatusCode.NoContent);

        var response = await _client.GetAsync("/api/me", user.Token);
        await response.ReadProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE id = $1", Sha256Hex(user.Token)));
    }

    /// <summary>
    /// Requests race a logout on the same token: each in-flight one is served or refused (never an error), and
    /// from the moment the logout has answered, every request with that token is refused.
    /// </summary>
    [Fact]
    public async Task LogoutRacingRequestsOnTheSameTokenWinsFromTheMomentItCommits()
    {
        for (var round = 0; round < 10; round++)
        {
            var user = await _client.RegisterAsync();
            var racing = Enumerable.Range(0, 12)
                .Select(i => i % 3 == 0
                    ? _client.PostAsync($"/api/workspaces/{user.WorkspaceId}/contacts", new { firstName = $"Racer {i}" }, user.Token)
                    : _client.GetAsync("/api/me", user.Token))
                .ToList();
            var logout = _client.PostAsync("/api/auth/logout", null, user.Token);

            await (await logout).ReadJsonAsync(HttpStatusCode.NoContent);
            await (await _client.GetAsync("/api/me", user.Token)).ReadProblemAsync(HttpStatusCode.Unauthorized);
            await (await _client.PostAsync($"/api/workspaces/{user.WorkspaceId}/contacts", new { firstName = "After logout" }, user.Token))
                .ReadProblemAsync(HttpStatusCode.Unauthorized);

            var responses = await Task.WhenAll(racing);
            Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.Unauthorized }));
            Assert.Equal(
                responses.Count(r => r.StatusCode == HttpStatusCode.Created),
                await app.Database.ScalarAsync<long>("SELECT count(*) FROM contacts WHERE workspace_id = $1", user.WorkspaceId));
            Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE user_id = $1", user.UserId));
        }
    }

    public static TheoryData<string?> BadAuthorizationHeaders => new()
    {
        null,
        "Bearer",
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        "Bearer " + new string('A', 43), // a secret without its workspace
        "Bearer abcdefghij12345." + new string('A', 43), // well-formed, unknown
        "Bearer " + new string('x', 8000),
        "Bearer " + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), // standard base64, not base64url
    };

    [Theory]
    [MemberData(nameof(BadAuthorizationHeaders))]
    public async Task MissingMalformedOrUnknownTokensAreUnauthorizedWithAChallenge(string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        var response = await _client.SendAsync(request);

        await response.ReadProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task ASessionIsRefusedFromTheMomentItExpires()
    {
        var user = await _client.RegisterAsync();
        var id = Sha256Hex(user.Token);

        await app.Database.ExecuteAsync("UPDATE sessions SET expires_at = now() + interval '1 minute' WHERE id = $1", id);
        await (await _client.GetAsync("/api/me", user.Token)).ReadJsonAsync(HttpStatusCode.OK);

        await app.Database.ExecuteAsync("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", id);
        await (await _client.GetAsync("/api/me", user.Token)).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TheSlidingExpiryIsRenewedAtMostOnceAnHour()
    {
        var user = await _client.RegisterAsync();
        var id = Sha256Hex(user.Token);

        // Last renewed 59 minutes ago: not yet.
        await app.Database.ExecuteAsync("UPDATE sessions SET expires_at = now() + interval '7 days' - interval '59 minutes' WHERE id = $1", id);
        var before = await ExpiresAtAsync(id);
        await (await _client.GetAsync("/api/me", user.Token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(before, await ExpiresAtAsync(id));

        // Last renewed 61 minutes ago: renewed to now + 7 days.
        await app.Database.ExecuteAsync("UPDATE sessions SET expires_at = now() + interval '7 days' - interval '61 minutes' WHERE id = $1", id);
        var me = await (await _client.GetAsync("/api/me", user.Token)).ReadJsonAsync(HttpStatusCode.OK);
        var renewed = await ExpiresAtAsync(id);
        Assert.InRange(renewed - DateTime.UtcNow, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        var reported = me.GetProperty("session").GetProperty("expiresAt").GetDateTimeOffset().UtcDateTime;
        Assert.InRange(reported - renewed, TimeSpan.FromMilliseconds(-1), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task RenewalNeverPassesTheAbsoluteLifetime()
    {
        var user = await _client.RegisterAsync();
        var id = Sha256Hex(user.Token);
        await app.Database.ExecuteAsync(
            "UPDATE sessions SET created_at = now() - interval '29 days 23 hours', expires_at = now() + interval '1 day' WHERE id = $1", id);

        await (await _client.GetAsync("/api/me", user.Token)).ReadJsonAsync(HttpStatusCode.OK);

        var cap = await app.Database.ScalarAsync<DateTime>("SELECT created_at + interval '30 days' FROM sessions WHERE id = $1", id);
        Assert.Equal(cap, await ExpiresAtAsync(id));
    }

    [Fact]
    public async Task TheDatabaseHoldsOnlyTokenHashes()
    {
        var user = await _client.RegisterAsync();
        var second = await _client.LoginAsync(user);

        var ids = await app.Database.ListAsync("SELECT id FROM sessions WHERE user_id = $1", user.UserId);

        Assert.Equal(2, ids.Count);
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{64}$", id));
        Assert.All(new[] { user.Token, second }, token => Assert.DoesNotContain(token.Split('.')[1], string.Join(" ", ids)));
        Assert.Equal(new[] { Sha256Hex(user.Token), Sha256Hex(second) }.Order(), ids.Order());
    }

    [Fact]
    public async Task ExpiredSessionsArePurgedInTheBackgroundAndLiveOnesStay()
    {
        var user = await _client.RegisterAsync();
        var live = await _client.LoginAsync(user);
        await app.Database.ExecuteAsync("UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = $1", Sha256Hex(user.Token));

        var deadline = DateTime.UtcNow + AppFixture.PurgeInterval * 10;
        while (await app.Database.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE id = $1", Sha256Hex(user.Token)) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(AppFixture.PurgeInterval / 4);
        }

        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE id = $1", Sha256Hex(user.Token)));
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE id = $1", Sha256Hex(live)));
    }

    private Task<DateTime> ExpiresAtAsync(string sessionId) =>
        app.Database.ScalarAsync<DateTime>("SELECT expires_at FROM sessions WHERE id = $1", sessionId);

    /// <summary><c>sessions.id</c> of a token: the SHA-256 of its secret (the part after the workspace id).</summary>
    internal static string Sha256Hex(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token[(token.IndexOf('.') + 1)..])));

    private static string WithoutTraceId(JsonElement problem) =>
        string.Join(",", problem.EnumerateObject().Where(p => p.Name != "traceId").Select(p => $"{p.Name}={p.Value}"));

    // ASP.NET Core Identity v3 hash: 0x01 | prf (uint32 BE) | iterations (uint32 BE) | salt length | salt | subkey
    private static (int Prf, int Iterations) DecodeIdentityV3(string hash)
    {
        var bytes = Convert.FromBase64String(hash);
        Assert.Equal(0x01, bytes[0]);
        return ((int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1)),
            (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(5)));
    }
}
