using System.Net;
using System.Text;
using CrmToolkit.Tests.Infrastructure;
using Npgsql;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// Contract v1.2 "Retry-safe creates": an <c>Idempotency-Key</c> on a create makes repeating it safe. The same user,
/// key, route and body get the first response again and nothing new is created; another body is a 422; a duplicate
/// while the first still runs is a 409; a failed create is not remembered.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class IdempotencyTests(AppFixture app) : IDisposable
{
    private const string KeyHeader = "Idempotency-Key";
    private const string ReplayedHeader = "Idempotent-Replayed";

    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    private static string Contacts(string workspaceId) => $"/api/workspaces/{workspaceId}/contacts";

    private static string NewKey() => $"key-{Guid.NewGuid():N}";

    /// <summary>POST a JSON body as these exact bytes, with the key (if any) as it is, even when it is not ASCII.</summary>
    private Task<HttpResponseMessage> PostAsync(string path, string json, string token, params string[] keys)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", token);
        request.Options.Set(ApiClient.HeaderEncoding, Encoding.UTF8);
        foreach (var key in keys)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(KeyHeader, key));
        }

        return _client.SendAsync(request);
    }

    private Task<long> ContactsInAsync(string workspaceId) =>
        app.Database.ScalarAsync<long>("SELECT count(*) FROM contacts WHERE workspace_id = $1", workspaceId);

    private Task<long> KeysInAsync(string workspaceId) =>
        app.Database.ScalarAsync<long>("SELECT count(*) FROM idempotency_keys WHERE workspace_id = $1", workspaceId);

    [Fact]
    public async Task ARepeatedCreateGetsTheFirstResponseAgainAndCreatesNothingNew()
    {
        var owner = await _client.RegisterAsync();
        var key = NewKey();
        const string body = """{"firstName":"Ada","lastName":"Lovelace","company":"Engines Ltd"}""";

        using var first = await PostAsync(Contacts(owner.WorkspaceId), body, owner.Token, key);
        var created = await first.ReadJsonAsync(HttpStatusCode.Created);
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.False(first.Headers.Contains(ReplayedHeader));
        Assert.NotNull(first.Headers.Location);

        for (var i = 0; i < 2; i++)
        {
            using var again = await PostAsync(Contacts(owner.WorkspaceId), body, owner.Token, key);
            await again.ReadJsonAsync(HttpStatusCode.Created);
            Assert.Equal(firstBody, await again.Content.ReadAsStringAsync());
            Assert.Equal(first.Headers.Location, again.Headers.Location);
            Assert.Equal("true", Assert.Single(again.Headers.GetValues(ReplayedHeader)));
            Assert.Equal("application/json", again.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(1L, await ContactsInAsync(owner.WorkspaceId));
        Assert.Equal(1L, await KeysInAsync(owner.WorkspaceId));
        var read = await (await _client.GetAsync(first.Headers.Location!.AbsolutePath, owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(created.GetProperty("id").GetGuid(), read.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task WithoutAKeyEveryCreateCreates()
    {
        var owner = await _client.RegisterAsync();
        const string body = """{"firstName":"Twice"}""";

        await (await PostAsync(Contacts(owner.WorkspaceId), body, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        await (await PostAsync(Contacts(owner.WorkspaceId), body, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);

        Assert.Equal(2L, await ContactsInAsync(owner.WorkspaceId));
        Assert.Equal(0L, await KeysInAsync(owner.WorkspaceId));
    }

    [Fact]
    public async Task TheSameKeyWithAnotherBodyIsUnprocessableAndCreatesNothing()
    {
        var owner = await _client.RegisterAsync();
        var key = NewKey();
        await (await PostAsync(Contacts(owner.WorkspaceId), """{"firstName":"Grace"}""", owner.Token, key)).ReadJsonAsync(HttpStatusCode.Created);

        // Another body, and the same JSON spelled with other bytes: the key names one request, byte for byte.
        foreach (var other in new[] { """{"firstName":"Hopper"}""", """{ "firstName": "Grace" }""" })
        {
            using var response = await PostAsync(Contacts(owner.WorkspaceId), other, owner.Token, key);
            var problem = await response.ReadProblemAsync(HttpStatusCode.UnprocessableEntity);
            Assert.Contains(KeyHeader, problem.GetProperty("detail").GetString());
            Assert.False(response.Headers.Contains(ReplayedHeader));
        }

        Assert.Equal(1L, await ContactsInAsync(owner.WorkspaceId));
    }

    [Fact]
    public async Task ADuplicateSentWhileTheFirstStillRunsIsAConflict()
    {
        var owner = await _client.RegisterAsync();
        var key = NewKey();
        const string body = """{"firstName":"Slow"}""";

        // Hold the workspace row: the first create's insert waits on it (its foreign key check), inside its transaction,
        // while it holds the key's lock.
        await using var connection = await app.Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = owner.WorkspaceId });
            await lockRow.ExecuteNonQueryAsync();
        }

        var first = PostAsync(Contacts(owner.WorkspaceId), body, owner.Token, key);
        await app.ApiBackendsWaitingOnALockAsync(1);

        using (var duplicate = await PostAsync(Contacts(owner.WorkspaceId), body, owner.Token, key))
        {
            var problem = await duplicate.ReadProblemAsync(HttpStatusCode.Conflict);
            Assert.Contains(KeyHeader, problem.GetProperty("detail").GetString());
        }

        Assert.False(first.IsCompleted);
        await transaction.RollbackAsync();
        using var created = await first;
        var contact = await created.ReadJsonAsync(HttpStatusCode.Created);

        using var again = await PostAsync(Contacts(owner.WorkspaceId), body, owner.Token, key);
        Assert.Equal(contact.GetProperty("id").GetGuid(), (await again.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid());
        Assert.True(again.Headers.Contains(ReplayedHeader));
        Assert.Equal(1L, await ContactsInAsync(owner.WorkspaceId));
    }

    [Fact]
    public async Task TheSameKeyIsIndependentForAnotherUserAnotherWorkspaceAndAnotherRoute()
    {
        var owner = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        var memberToken = await _client.AddMemberAsync(owner, member, "member");
        var key = NewKey();
        const string body = """{"firstName":"Shared"}""";

        var ids = new List<Guid>();
        foreach (var (workspaceId, token) in new[] { (owner.WorkspaceId, owner.Token), (owner.WorkspaceId, memberToken) })
        {
            using var response = await PostAsync(Contacts(workspaceId), body, token, key);
            ids.Add((await response.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid());
            Assert.False(response.Headers.Contains(ReplayedHeader));
        }

        // The owner's second workspace (its response holds a session there).
        var second = await (await _client.PostAsync("/api/workspaces", new { name = "Second" }, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        var secondId = second.GetProperty("workspace").GetProperty("id").GetString()!;
        using (var response = await PostAsync(Contacts(secondId), body, second.GetProperty("session").GetProperty("token").GetString()!, key))
        {
            ids.Add((await response.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid());
            Assert.False(response.Headers.Contains(ReplayedHeader));
        }

        // Another create route of the same workspace.
        using (var response = await PostAsync($"/api/workspaces/{owner.WorkspaceId}/invitations",
                   $$"""{"email":"shared-{{Guid.NewGuid():N}}@example.com","role":"member"}""", owner.Token, key))
        {
            await response.ReadJsonAsync(HttpStatusCode.Created);
            Assert.False(response.Headers.Contains(ReplayedHeader));
        }

        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(2L, await ContactsInAsync(owner.WorkspaceId));
        Assert.Equal(1L, await ContactsInAsync(secondId));
        string[] expected =
        [
            $"contacts {owner.WorkspaceId} {owner.UserId}", $"contacts {owner.WorkspaceId} {member.UserId}",
            $"contacts {secondId} {owner.UserId}", $"invitations {owner.WorkspaceId} {owner.UserId}",
        ];
        Assert.Equal(
            expected.Order(StringComparer.Ordinal),
            (await app.Database.ListAsync(
                "SELECT split_part(route, '/', 5) || ' ' || workspace_id || ' ' || user_id FROM idempotency_keys WHERE key = $1", key)).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string> InvalidKeys => new()
    {
        "",
        new string('k', 256),
        "ключ",
        "café-1",
        "two words",
        "tab\there",
        "bell\u0007",
        "delete\u007f",
    };

    [Theory]
    [MemberData(nameof(InvalidKeys))]
    public async Task AnInvalidKeyIsABadRequestThatNamesTheHeader(string key)
    {
        var owner = await _client.RegisterAsync();

        using var response = await PostAsync(Contacts(owner.WorkspaceId), """{"firstName":"Never"}""", owner.Token, key);

        var problem = await response.ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains(KeyHeader, problem.GetProperty("detail").GetString());
        Assert.Equal(0L, await ContactsInAsync(owner.WorkspaceId));
        Assert.Equal(0L, await KeysInAsync(owner.WorkspaceId));
    }

    [Fact]
    public async Task TwoKeysOnOneRequestAreABadRequest()
    {
        var owner = await _client.RegisterAsync();

        using var response = await PostAsync(Contacts(owner.WorkspaceId), """{"firstName":"Never"}""", owner.Token, NewKey(), NewKey());

        await response.ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(0L, await ContactsInAsync(owner.WorkspaceId));
    }

    [Fact]
    public async Task AKeyOf255VisibleAsciiCharactersIsAccepted()
    {
        var owner = await _client.RegisterAsync();
        var key = string.Concat(Enumerable.Range(0, 255).Select(i => (char)('!' + (i % 94))));
        const string body = """{"firstName":"Long key"}""";

        using var first = await PostAsync(Contacts(owner.WorkspaceId), body, owner.Token, key);
        var id = (await first.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        using var again = await PostAsync(Contacts(owner.WorkspaceId), body, owner.Token, key);

        Assert.Equal(id, (await again.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid());
        Assert.True(again.Headers.Contains(ReplayedHeader));
        Assert.Equal(key, await app.Database.ScalarAsync<string>("SELECT key FROM idempotency_keys WHERE workspace_id = $1", owner.WorkspaceId));
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheKeyOnTheCreateRoutes()
    {
        var paths = (await (await _client.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("paths");

        foreach (var path in new[] { "/api/workspaces/{workspaceId}/contacts", "/api/workspaces/{workspaceId}/invitations" })
        {
            var post = paths.GetProperty(path).GetProperty("post");
            Assert.Contains(post.GetProperty("parameters").EnumerateArray(),
                p => p.GetProperty("name").GetString() == KeyHeader && p.GetProperty("in").GetString() == "header");
            Assert.True(post.GetProperty("responses").TryGetProperty("409", out _), path);
            Assert.True(post.GetProperty("responses").TryGetProperty("422", out _), path);
        }
    }

    [Fact]
    public async Task InvitationsAreRetrySafeToo()
    {
        var owner = await _client.RegisterAsync();
        var email = $"invitee-{Guid.NewGuid():N}@example.com";
        var body = $$"""{"email":"{{email}}","role":"member"}""";
        var key = NewKey();
        var path = $"/api/workspaces/{owner.WorkspaceId}/invitations";

        using var first = await PostAsync(path, body, owner.Token, key);
        await first.ReadJsonAsync(HttpStatusCode.Created);
        using var again = await PostAsync(path, body, owner.Token, key);
        await again.ReadJsonAsync(HttpStatusCode.Created);

        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, again.Headers.Location);
        Assert.True(again.Headers.Contains(ReplayedHeader));
        // Inviting again without a key would replace the invitation with a second row: there is one, still pending.
        Assert.Equal(["pending"], await app.Database.ListAsync(
            "SELECT status FROM invitations WHERE workspace_id = $1 AND email = $2", owner.WorkspaceId, email));

        using var otherBody = await PostAsync(path, $$"""{"email":"{{email}}","role":"admin"}""", owner.Token, key);
        await otherBody.ReadProblemAsync(HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task AFailedCreateIsNotRememberedAndACorrectedRetryWithTheSameKeySucceeds()
    {
        var owner = await _client.RegisterAsync();
        var key = NewKey();

        using (var invalid = await PostAsync(Contacts(owner.WorkspaceId), """{"firstName":""}""", owner.Token, key))
        {
            await invalid.ReadProblemAsync(HttpStatusCode.BadRequest);
        }

        // A refused invitation (an email of a member: 409) is not remembered either.
        using (var refused = await PostAsync($"/api/workspaces/{owner.WorkspaceId}/invitations",
                   $$"""{"email":"{{owner.Email}}","role":"member"}""", owner.Token, key))
        {
            await refused.ReadProblemAsync(HttpStatusCode.Conflict);
        }

        Assert.Equal(0L, await KeysInAsync(owner.WorkspaceId));

        using var corrected = await PostAsync(Contacts(owner.WorkspaceId), """{"firstName":"Fixed"}""", owner.Token, key);
        var id = (await corrected.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        Assert.False(corrected.Headers.Contains(ReplayedHeader));
        using var again = await PostAsync(Contacts(owner.WorkspaceId), """{"firstName":"Fixed"}""", owner.Token, key);
        Assert.Equal(id, (await again.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid());
        Assert.Equal(1L, await ContactsInAsync(owner.WorkspaceId));
    }

    [Fact]
    public async Task AKeyPastItsLifetimeIsFreeAgainAndIsPurged()
    {
        var owner = await _client.RegisterAsync();
        var (oldKey, freshKey) = (NewKey(), NewKey());
        await (await PostAsync(Contacts(owner.WorkspaceId), """{"firstName":"Old"}""", owner.Token, oldKey)).ReadJsonAsync(HttpStatusCode.Created);
        await (await PostAsync(Contacts(owner.WorkspaceId), """{"firstName":"Fresh"}""", owner.Token, freshKey)).ReadJsonAsync(HttpStatusCode.Created);
        await app.Database.ExecuteAsync(
            "UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE workspace_id = $1 AND key = $2", owner.WorkspaceId, oldKey);

        // Another body under the old key is a new create, not a 422 (whether or not the purge came first).
        using var reused = await PostAsync(Contacts(owner.WorkspaceId), """{"firstName":"New"}""", owner.Token, oldKey);
        await reused.ReadJsonAsync(HttpStatusCode.Created);
        Assert.False(reused.Headers.Contains(ReplayedHeader));
        Assert.Equal(3L, await ContactsInAsync(owner.WorkspaceId));

        // The purge job (every 2 s in tests) deletes what is past 24 hours, and nothing else.
        await app.Database.ExecuteAsync(
            "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE workspace_id = $1 AND key = $2", owner.WorkspaceId, oldKey);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await app.Database.ScalarAsync<long>("SELECT count(*) FROM idempotency_keys WHERE workspace_id = $1 AND key = $2", owner.WorkspaceId, oldKey) > 0)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "The expired key was not purged.");
            await Task.Delay(200);
        }

        Assert.Equal([freshKey], await app.Database.ListAsync("SELECT key FROM idempotency_keys WHERE workspace_id = $1", owner.WorkspaceId));
    }
}
