using System.Net;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class WorkspaceTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task CreatingAWorkspaceMakesTheCreatorOwnerWithASessionInIt()
    {
        var user = await _client.RegisterAsync();

        var response = await _client.PostAsync("/api/workspaces", new { name = "  Second  ", description = "for tests" }, user.Token);

        var body = await response.ReadJsonAsync(HttpStatusCode.Created);
        var id = body.GetProperty("workspace").GetProperty("id").GetString()!;
        Assert.Matches("^[A-Za-z0-9]{15}$", id);
        Assert.Equal("Second", body.GetProperty("workspace").GetProperty("name").GetString());
        Assert.Equal("owner", body.GetProperty("role").GetString());
        Assert.Equal($"/api/workspaces/{id}", response.Headers.Location?.ToString());

        var token = body.GetProperty("session").GetProperty("token").GetString()!;
        var me = await (await _client.GetAsync("/api/me", token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(id, me.GetProperty("workspace").GetProperty("id").GetString());
        // The calling session still works in its own workspace.
        await (await _client.GetAsync($"/api/workspaces/{user.WorkspaceId}", user.Token)).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AGivenIdIsUsedAndATakenOneIsAConflict()
    {
        var user = await _client.RegisterAsync();
        var id = $"ws{Guid.NewGuid():N}"[..18];

        var created = await (await _client.PostAsync("/api/workspaces", new { name = "Named", id }, user.Token)).ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(id, created.GetProperty("workspace").GetProperty("id").GetString());

        await (await _client.PostAsync("/api/workspaces", new { name = "Again", id }, user.Token)).ReadProblemAsync(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("abcdefghijklmnopqrstu")]
    [InlineData("abcdefghij-")]
    [InlineData("abcdefghiј")] // Cyrillic je
    [InlineData("١٢٣٤٥٦٧٨٩٠")]
    [InlineData("abcdefghij\n")]
    public async Task AMalformedIdIsAValidationProblem(string id)
    {
        var user = await _client.RegisterAsync();

        var problem = await (await _client.PostAsync("/api/workspaces", new { name = "Bad", id }, user.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("id", out _), problem.ToString());
    }

    [Fact]
    public async Task AnEmptyNameIsAValidationProblem()
    {
        var user = await _client.RegisterAsync();

        var problem = await (await _client.PostAsync("/api/workspaces", new { name = "" }, user.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _), problem.ToString());
    }

    [Fact]
    public async Task CreatingAWorkspaceNeedsASession() =>
        await (await _client.PostAsync("/api/workspaces", new { name = "Anon" })).ReadProblemAsync(HttpStatusCode.Unauthorized);

    [Fact]
    public async Task MembersReadTheWorkspace()
    {
        var owner = await _client.RegisterAsync(workspaceName: "Readable");
        var member = await _client.RegisterAsync();
        var memberToken = await _client.AddMemberAsync(owner, member, "member");

        var workspace = await (await _client.GetAsync($"/api/workspaces/{owner.WorkspaceId}", memberToken)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("Readable", workspace.GetProperty("name").GetString());
        Assert.Equal(owner.UserId, workspace.GetProperty("createdBy").GetGuid());
    }

    [Fact]
    public async Task AdminsUpdateTheWorkspaceAndMembersMayNot()
    {
        var owner = await _client.RegisterAsync();
        var admin = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        var adminToken = await _client.AddMemberAsync(owner, admin, "admin");
        var memberToken = await _client.AddMemberAsync(owner, member, "member");
        var path = $"/api/workspaces/{owner.WorkspaceId}";

        var updated = await (await _client.PatchAsync(path, new { name = "Renamed", description = "Now described" }, adminToken)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Renamed", updated.GetProperty("name").GetString());
        Assert.Equal("Now described", updated.GetProperty("description").GetString());
        Assert.True(updated.GetProperty("updatedAt").GetDateTimeOffset() > updated.GetProperty("createdAt").GetDateTimeOffset());

        var cleared = await (await _client.PatchAsync(path, new { description = "" }, adminToken)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Renamed", cleared.GetProperty("name").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("description").ValueKind);

        await (await _client.PatchAsync(path, new { name = "  " }, adminToken)).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PatchAsync(path, new { name = "Mine now" }, memberToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task OnlyTheOwnerDeletesAndEverythingOfTheWorkspaceGoesWithIt()
    {
        var owner = await _client.RegisterAsync();
        var admin = await _client.RegisterAsync();
        var adminToken = await _client.AddMemberAsync(owner, admin, "admin");
        var path = $"/api/workspaces/{owner.WorkspaceId}";

        await (await _client.DeleteAsync(path, adminToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.DeleteAsync(path, owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);

        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT (SELECT count(*) FROM workspaces WHERE id = $1) + (SELECT count(*) FROM workspace_members WHERE workspace_id = $1) + (SELECT count(*) FROM sessions WHERE workspace_id = $1)",
            owner.WorkspaceId));
        await (await _client.GetAsync("/api/me", adminToken)).ReadProblemAsync(HttpStatusCode.Unauthorized);
        // The admin's own workspace and account are untouched.
        await (await _client.GetAsync($"/api/workspaces/{admin.WorkspaceId}", admin.Token)).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task MyWorkspacesListsEveryWorkspaceOfTheUserWithRoleAndJoinDate()
    {
        var owner = await _client.RegisterAsync();
        var user = await _client.RegisterAsync();
        await _client.AddMemberAsync(owner, user, "admin");

        var page = await (await _client.GetAsync("/api/me/workspaces", user.Token)).ReadJsonAsync(HttpStatusCode.OK);

        var items = page.GetProperty("items");
        var entries = items.EnumerateArray()
            .Select(e => (Id: e.GetProperty("workspace").GetProperty("id").GetString(), Role: e.GetProperty("role").GetString()))
            .ToList();
        Assert.Equal([(owner.WorkspaceId, "admin"), (user.WorkspaceId, "owner")], entries); // most recently joined first
        Assert.All(items.EnumerateArray(), e => e.GetProperty("joinedAt").GetDateTimeOffset());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, page.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task MyWorkspacesArePagedByKeysetWithoutDuplicatesOrGaps()
    {
        var user = await _client.RegisterAsync();
        var created = new List<string> { user.WorkspaceId };
        for (var i = 0; i < 5; i++)
        {
            var body = await (await _client.PostAsync("/api/workspaces", new { name = $"Paged {i}" }, user.Token)).ReadJsonAsync(HttpStatusCode.Created);
            created.Add(body.GetProperty("workspace").GetProperty("id").GetString()!);
        }

        var seen = new List<(string Id, DateTimeOffset JoinedAt)>();
        var pages = 0;
        string? next = null;
        do
        {
            var page = await (await _client.GetAsync($"/api/me/workspaces?limit=2{(next is null ? "" : $"&after={next}")}", user.Token))
                .ReadJsonAsync(HttpStatusCode.OK);
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal(2, items.Count);
            seen.AddRange(items.Select(e => (e.GetProperty("workspace").GetProperty("id").GetString()!, e.GetProperty("joinedAt").GetDateTimeOffset())));
            next = page.GetProperty("next").GetString();
            pages++;
        }
        while (next is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(created.Order(StringComparer.Ordinal), seen.Select(s => s.Id).Order(StringComparer.Ordinal)); // none twice, none missing
        Assert.Equal(seen.Select(s => s.JoinedAt).OrderDescending(), seen.Select(s => s.JoinedAt)); // most recently joined first
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=abc")]
    [InlineData("after=e30")] // base64url of {} : not a cursor
    public async Task ABadPageOfMyWorkspacesIsABadRequest(string query)
    {
        var user = await _client.RegisterAsync();

        await (await _client.GetAsync($"/api/me/workspaces?{query}", user.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
    }
}
