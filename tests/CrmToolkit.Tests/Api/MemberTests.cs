using System.Net;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

[Collection(AppCollection.Name)]
public sealed class MemberTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    private static string Members(Account a) => $"/api/workspaces/{a.WorkspaceId}/members";

    private static string Member(Account a, Guid userId) => $"/api/workspaces/{a.WorkspaceId}/members/{userId}";

    [Fact]
    public async Task MembersArePagedByKeyset()
    {
        var owner = await _client.RegisterAsync();
        var others = await _client.AddNewMembersAsync(owner, 4);

        var seen = new List<string>();
        string? next = null;
        var pages = 0;
        do
        {
            var page = await (await _client.GetAsync($"{Members(owner)}?limit=2{(next is null ? "" : $"&after={next}")}", owner.Token))
                .ReadJsonAsync(HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("email").GetString()!));
            next = page.GetProperty("next").GetString();
            pages++;
        }
        while (next is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(others.Select(o => o.Email).Append(owner.Email).Order(StringComparer.Ordinal), seen);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=101")]
    [InlineData("limit=abc")]
    [InlineData("after=%%%")]
    public async Task ABadPageRequestIsABadRequest(string query)
    {
        var owner = await _client.RegisterAsync();

        await (await _client.GetAsync($"{Members(owner)}?{query}", owner.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task OnlyOwnersChangeTheRightsOfAdminsAndOwners()
    {
        var owner = await _client.RegisterAsync();
        var admin = await _client.RegisterAsync();
        var otherAdmin = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        var adminToken = await _client.AddMemberAsync(owner, admin, "admin");
        await _client.AddMemberAsync(owner, otherAdmin, "admin");
        var memberToken = await _client.AddMemberAsync(owner, member, "member");

        // An admin may promote a member to admin, but not to owner, and may not touch another admin or the owner.
        await (await _client.PatchAsync(Member(owner, member.UserId), new { role = "owner" }, adminToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.PatchAsync(Member(owner, otherAdmin.UserId), new { role = "member" }, adminToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.PatchAsync(Member(owner, owner.UserId), new { role = "member" }, adminToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        var promoted = await (await _client.PatchAsync(Member(owner, member.UserId), new { role = "admin" }, adminToken)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("admin", promoted.GetProperty("role").GetString());

        // A member changes nobody's role; the owner changes anybody's.
        await (await _client.PatchAsync(Member(owner, admin.UserId), new { role = "member" }, memberToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        var demoted = await (await _client.PatchAsync(Member(owner, otherAdmin.UserId), new { role = "member" }, owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("member", demoted.GetProperty("role").GetString());
        await (await _client.PatchAsync(Member(owner, Guid.NewGuid()), new { role = "member" }, owner.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task TheLastOwnerCanNeitherBeDemotedNorLeave()
    {
        var owner = await _client.RegisterAsync();
        var second = await _client.RegisterAsync();

        await (await _client.PatchAsync(Member(owner, owner.UserId), new { role = "admin" }, owner.Token)).ReadProblemAsync(HttpStatusCode.Conflict);
        await (await _client.DeleteAsync(Member(owner, owner.UserId), owner.Token)).ReadProblemAsync(HttpStatusCode.Conflict);

        // With a second owner, the first may step down.
        await _client.AddMemberAsync(owner, second, "owner");
        await (await _client.PatchAsync(Member(owner, owner.UserId), new { role = "admin" }, owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RemovingAMemberEndsTheirSessionsInThatWorkspaceOnly()
    {
        var owner = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        var memberToken = await _client.AddMemberAsync(owner, member, "member");

        await (await _client.DeleteAsync(Member(owner, member.UserId), owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);

        await (await _client.GetAsync("/api/me", memberToken)).ReadProblemAsync(HttpStatusCode.Unauthorized);
        await (await _client.GetAsync("/api/me", member.Token)).ReadJsonAsync(HttpStatusCode.OK); // their own workspace
        await (await _client.DeleteAsync(Member(owner, member.UserId), owner.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task MembersMayLeaveButNotRemoveOthersAndAdminsMayNotRemoveAdmins()
    {
        var owner = await _client.RegisterAsync();
        var admin = await _client.RegisterAsync();
        var otherAdmin = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        var other = await _client.RegisterAsync();
        var adminToken = await _client.AddMemberAsync(owner, admin, "admin");
        await _client.AddMemberAsync(owner, otherAdmin, "admin");
        var memberToken = await _client.AddMemberAsync(owner, member, "member");
        await _client.AddMemberAsync(owner, other, "member");

        await (await _client.DeleteAsync(Member(owner, other.UserId), memberToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.DeleteAsync(Member(owner, otherAdmin.UserId), adminToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.DeleteAsync(Member(owner, owner.UserId), adminToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.DeleteAsync(Member(owner, other.UserId), adminToken)).ReadJsonAsync(HttpStatusCode.NoContent);
        await (await _client.DeleteAsync(Member(owner, member.UserId), memberToken)).ReadJsonAsync(HttpStatusCode.NoContent);
        await (await _client.DeleteAsync(Member(owner, otherAdmin.UserId), owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task ParallelDemotionsAndRemovalsNeverLeaveAWorkspaceWithoutAnOwner()
    {
        for (var round = 0; round < 12; round++)
        {
            var first = await _client.RegisterAsync();
            var second = await _client.RegisterAsync();
            var secondToken = await _client.AddMemberAsync(first, second, "owner");

            // The two owners, at the same moment: one demotes herself while the other leaves; or each removes
            // the other; or each demotes the other.
            var responses = await Task.WhenAll((round % 3) switch
            {
                0 =>
                [
                    _client.PatchAsync(Member(first, first.UserId), new { role = "member" }, first.Token),
                    _client.DeleteAsync(Member(first, second.UserId), secondToken),
                ],
                1 =>
                [
                    _client.DeleteAsync(Member(first, second.UserId), first.Token),
                    _client.DeleteAsync(Member(first, first.UserId), secondToken),
                ],
                _ => new[]
                {
                    _client.PatchAsync(Member(first, second.UserId), new { role = "member" }, first.Token),
                    _client.PatchAsync(Member(first, first.UserId), new { role = "member" }, secondToken),
                },
            });

            // One wins. The other is refused: the last owner (409); or it lost its rights a moment before (403), or
            // its membership, so the workspace is no longer its own (404) and its session there ended (401).
            Assert.Single(responses, r => r.IsSuccessStatusCode);
            Assert.Single(responses, r => r.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Forbidden
                or HttpStatusCode.NotFound or HttpStatusCode.Unauthorized);
            Assert.Equal(1L, await app.Database.ScalarAsync<long>(
                "SELECT count(*) FROM workspace_members WHERE workspace_id = $1 AND role = 'owner'", first.WorkspaceId));
        }
    }
}
