using System.Net;
using System.Text.Json;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class ContactTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    private static string Contacts(Account a) => $"/api/workspaces/{a.WorkspaceId}/contacts";

    private async Task<JsonElement> CreateAsync(Account a, object contact, string? token = null) =>
        await (await _client.PostAsync(Contacts(a), contact, token ?? a.Token)).ReadJsonAsync(HttpStatusCode.Created);

    [Fact]
    public async Task AMemberCreatesAContactWithItsLocation()
    {
        var owner = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        var memberToken = await _client.AddMemberAsync(owner, member, "member");

        var response = await _client.PostAsync(Contacts(owner),
            new { firstName = " Ada ", lastName = "Lovelace", email = "ada@example.com", phone = "+44 20 0000", company = "Engines Ltd", notes = "met at the salon" },
            memberToken);

        var contact = await response.ReadJsonAsync(HttpStatusCode.Created);
        var id = contact.GetProperty("id").GetGuid();
        Assert.Equal("Ada", contact.GetProperty("firstName").GetString());
        Assert.Equal(member.UserId, contact.GetProperty("createdBy").GetGuid());
        Assert.Equal($"/api/workspaces/{owner.WorkspaceId}/contacts/{id}", response.Headers.Location?.AbsolutePath);
        Assert.Equal(owner.WorkspaceId, await app.Database.ScalarAsync<string>("SELECT workspace_id FROM contacts WHERE id = $1", id));

        var read = await (await _client.GetAsync(response.Headers.Location!.AbsolutePath, memberToken)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Lovelace", read.GetProperty("lastName").GetString());
    }

    [Theory]
    [InlineData("firstName", "{}")]
    [InlineData("firstName", "{\"firstName\":\"\"}")]
    [InlineData("lastName", "{\"firstName\":\"A\",\"lastName\":\"" + "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789x" + "\"}")]
    [InlineData("email", "{\"firstName\":\"A\",\"email\":\"not an email\"}")]
    public async Task AnInvalidContactIsAValidationProblem(string field, string json)
    {
        var owner = await _client.RegisterAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, Contacts(owner)) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", owner.Token);

        var problem = await (await _client.SendAsync(request)).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task PatchChangesOnlyWhatIsSentAndEmptyClears()
    {
        var owner = await _client.RegisterAsync();
        var id = (await CreateAsync(owner, new { firstName = "Grace", lastName = "Hopper", company = "Navy" })).GetProperty("id").GetGuid();

        var updated = await (await _client.PatchAsync($"{Contacts(owner)}/{id}", new { company = "", phone = "123" }, owner.Token)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal("Grace", updated.GetProperty("firstName").GetString());
        Assert.Equal("Hopper", updated.GetProperty("lastName").GetString());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("company").ValueKind);
        Assert.Equal("123", updated.GetProperty("phone").GetString());
        Assert.True(updated.GetProperty("updatedAt").GetDateTimeOffset() > updated.GetProperty("createdAt").GetDateTimeOffset());

        await (await _client.PatchAsync($"{Contacts(owner)}/{id}", new { firstName = "" }, owner.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PatchAsync($"{Contacts(owner)}/{id}", new { firstName = "   " }, owner.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PatchAsync($"{Contacts(owner)}/{id}", new { email = "not an email" }, owner.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PatchAsync($"{Contacts(owner)}/{Guid.NewGuid()}", new { firstName = "X" }, owner.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OnlyAdminsDeleteContacts()
    {
        var owner = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        var memberToken = await _client.AddMemberAsync(owner, member, "member");
        var id = (await CreateAsync(owner, new { firstName = "Temp" })).GetProperty("id").GetGuid();

        await (await _client.DeleteAsync($"{Contacts(owner)}/{id}", memberToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.DeleteAsync($"{Contacts(owner)}/{id}", owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);
        await (await _client.DeleteAsync($"{Contacts(owner)}/{id}", owner.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.GetAsync($"{Contacts(owner)}/{id}", owner.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AContactOfAnotherWorkspaceIsNotFoundEvenThroughOnesOwnWorkspace()
    {
        var owner = await _client.RegisterAsync();
        var other = await _client.RegisterAsync();
        var theirs = (await CreateAsync(other, new { firstName = "Secret" })).GetProperty("id").GetGuid();

        // Right workspace in the path (the caller's), wrong contact id: still nothing.
        await (await _client.GetAsync($"{Contacts(owner)}/{theirs}", owner.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.PatchAsync($"{Contacts(owner)}/{theirs}", new { firstName = "Mine" }, owner.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.DeleteAsync($"{Contacts(owner)}/{theirs}", owner.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal("Secret", await app.Database.ScalarAsync<string>("SELECT first_name FROM contacts WHERE id = $1", theirs));
    }

    [Fact]
    public async Task ContactsArePagedByLastNameFirstNameAndIdWithMissingLastNamesLast()
    {
        var owner = await _client.RegisterAsync();
        var names = new (string First, string? Last)[]
        {
            ("Zoe", null), ("Alan", "Turing"), ("Ada", "Lovelace"), ("Bob", null), ("Grace", "Hopper"), ("Alan", "Kay"), ("Adele", "Goldberg"),
        };
        foreach (var (first, last) in names)
        {
            await CreateAsync(owner, new { firstName = first, lastName = last });
        }

        var seen = new List<string>();
        string? next = null;
        do
        {
            var page = await (await _client.GetAsync($"{Contacts(owner)}?limit=3{(next is null ? "" : $"&after={next}")}", owner.Token))
                .ReadJsonAsync(HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("items").EnumerateArray()
                .Select(c => $"{c.GetProperty("lastName").GetString() ?? "-"} {c.GetProperty("firstName").GetString()}"));
            next = page.GetProperty("next").GetString();
        }
        while (next is not null && seen.Count < 20);

        Assert.Equal(["Goldberg Adele", "Hopper Grace", "Kay Alan", "Lovelace Ada", "Turing Alan", "- Bob", "- Zoe"], seen);
    }

    [Theory]
    [InlineData("ada", new[] { "Ada" })]
    [InlineData("LOVE", new[] { "Ada" })]
    [InlineData("acme", new[] { "Ada", "Charles" })]
    [InlineData("charles@", new[] { "Charles" })]
    [InlineData("zzz", new string[0])]
    [InlineData("%", new string[0])] // a LIKE wildcard is a character, not a pattern
    public async Task SearchMatchesTheStartOfNameEmailOrCompanyIgnoringCase(string q, string[] expected)
    {
        var owner = await _client.RegisterAsync();
        await CreateAsync(owner, new { firstName = "Ada", lastName = "Lovelace", company = "ACME" });
        await CreateAsync(owner, new { firstName = "Charles", lastName = "Babbage", email = "charles@example.com", company = "Acme Engines" });
        await CreateAsync(owner, new { firstName = "Mary", lastName = "Somerville", company = "Royal Society" });

        var page = await (await _client.GetAsync($"{Contacts(owner)}?q={Uri.EscapeDataString(q)}", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(expected.Order(), page.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("firstName").GetString()!).Order());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("after=nonsense!")]
    [InlineData("after=e30")] // base64url of {} : not a cursor
    public async Task ABadContactsPageRequestIsABadRequest(string query)
    {
        var owner = await _client.RegisterAsync();

        await (await _client.GetAsync($"{Contacts(owner)}?{query}", owner.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task DeletingAWorkspaceDeletesItsContacts()
    {
        var owner = await _client.RegisterAsync();
        await CreateAsync(owner, new { firstName = "Gone" });

        await (await _client.DeleteAsync($"/api/workspaces/{owner.WorkspaceId}", owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);

        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM contacts WHERE workspace_id = $1", owner.WorkspaceId));
    }

    [Fact]
    public async Task DeletingTheUserWhoCreatedAContactKeepsTheContact()
    {
        var owner = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        var memberToken = await _client.AddMemberAsync(owner, member, "member");
        var id = (await CreateAsync(owner, new { firstName = "Kept" }, memberToken)).GetProperty("id").GetGuid();

        // The member's own workspace must go first (they created it: RESTRICT), then the user.
        await app.Database.ExecuteAsync("DELETE FROM workspaces WHERE id = $1", member.WorkspaceId);
        await app.Database.ExecuteAsync("DELETE FROM users WHERE id = $1", member.UserId);

        Assert.True(await app.Database.ScalarAsync<bool>("SELECT created_by IS NULL FROM contacts WHERE id = $1", id));
    }
}
