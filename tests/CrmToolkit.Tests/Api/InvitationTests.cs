using System.Net;
using System.Text.Json;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// Contract v1.1: nobody joins a workspace without accepting an invitation. Admins invite, list and revoke; the account
/// with the invited email sees, accepts or declines; creating an invitation tells nothing about who has an account.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class InvitationTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    private static string Invitations(Account a) => $"/api/workspaces/{a.WorkspaceId}/invitations";

    [Fact]
    public async Task ParallelAcceptsWithOneSessionMakeOneMemberAndTheLosersAre401()
    {
        var owner = await _client.RegisterAsync();
        var invitee = await _client.RegisterAsync();
        for (var round = 0; round < 4; round++)
        {
            var workspace = await (await _client.PostAsync("/api/workspaces", new { name = $"Race {round}" }, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
            var inviter = owner with
            {
                WorkspaceId = workspace.GetProperty("workspace").GetProperty("id").GetString()!,
                Token = workspace.GetProperty("session").GetProperty("token").GetString()!,
            };
            var invitation = await _client.InviteAsync(inviter, invitee.Email, "member");
            var token = await _client.LoginAsync(invitee, invitee.WorkspaceId);

            var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
                _client.PostAsync($"/api/me/invitations/{invitation}/accept", null, token)));

            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
            Assert.Equal(1L, await app.Database.ScalarAsync<long>(
                "SELECT count(*) FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", inviter.WorkspaceId, invitee.UserId));
        }
    }

    [Fact]
    public async Task TheOldAddMemberRouteIsGoneAndAddsNobody()
    {
        var owner = await _client.RegisterAsync();
        var victim = await _client.RegisterAsync();

        var response = await _client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/members", new { email = victim.Email, role = "member" }, owner.Token);

        await response.ReadProblemAsync(HttpStatusCode.MethodNotAllowed);
        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", owner.WorkspaceId, victim.UserId));
    }

    [Fact]
    public async Task InvitingAnswersAlikeWhetherOrNotTheEmailHasAnAccount()
    {
        var owner = await _client.RegisterAsync();
        var existing = await _client.RegisterAsync();

        var forAccount = await (await _client.PostAsync(Invitations(owner), new { email = existing.Email, role = "member" }, owner.Token))
            .ReadJsonAsync(HttpStatusCode.Created);
        var forNobody = await (await _client.PostAsync(Invitations(owner), new { email = $"nobody-{Guid.NewGuid():N}@example.com", role = "member" }, owner.Token))
            .ReadJsonAsync(HttpStatusCode.Created);

        Assert.Equal(Shape(forAccount), Shape(forNobody));
        Assert.Equal(owner.UserId, forAccount.GetProperty("invitedBy").GetProperty("userId").GetGuid());
        Assert.DoesNotContain(existing.UserId.ToString(), forAccount.ToString());
        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", owner.WorkspaceId, existing.UserId));
    }

    [Fact]
    public async Task TheInviteeSeesAcceptsAndBecomesAMemberWithTheInvitedRoleInANewSession()
    {
        var owner = await _client.RegisterAsync(workspaceName: "Inviting workspace");
        var invitee = await _client.RegisterAsync();
        var created = await (await _client.PostAsync(Invitations(owner), new { email = invitee.Email.ToUpperInvariant(), role = "admin" }, owner.Token))
            .ReadJsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();

        var mine = await (await _client.GetAsync("/api/me/invitations", invitee.Token)).ReadJsonAsync(HttpStatusCode.OK);
        var invitation = Assert.Single(mine.EnumerateArray());
        Assert.Equal(id, invitation.GetProperty("id").GetGuid());
        Assert.Equal("admin", invitation.GetProperty("role").GetString());
        Assert.Equal("Inviting workspace", invitation.GetProperty("workspace").GetProperty("name").GetString());
        Assert.Equal("Test User", invitation.GetProperty("invitedBy").GetProperty("name").GetString());

        var accepted = await (await _client.PostAsync($"/api/me/invitations/{id}/accept", null, invitee.Token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(owner.WorkspaceId, accepted.GetProperty("workspace").GetProperty("id").GetString());
        Assert.Equal("admin", accepted.GetProperty("role").GetString());
        var token = accepted.GetProperty("session").GetProperty("token").GetString()!;

        var me = await (await _client.GetAsync("/api/me", token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(owner.WorkspaceId, me.GetProperty("workspace").GetProperty("id").GetString());
        await (await _client.GetAsync("/api/me", invitee.Token)).ReadProblemAsync(HttpStatusCode.Unauthorized); // as with switch
        Assert.Empty((await (await _client.GetAsync("/api/me/invitations", token)).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        await (await _client.PostAsync($"/api/me/invitations/{id}/accept", null, token)).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnInvitationIsForItsEmailOnly()
    {
        var owner = await _client.RegisterAsync();
        var invitee = await _client.RegisterAsync();
        var other = await _client.RegisterAsync();
        var id = await _client.InviteAsync(owner, invitee.Email, "member");

        Assert.Empty((await (await _client.GetAsync("/api/me/invitations", other.Token)).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        await (await _client.PostAsync($"/api/me/invitations/{id}/accept", null, other.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.PostAsync($"/api/me/invitations/{id}/decline", null, other.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.PostAsync($"/api/me/invitations/{Guid.NewGuid()}/accept", null, invitee.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", owner.WorkspaceId, other.UserId));
    }

    [Fact]
    public async Task DeclinedRevokedAndExpiredInvitationsCannotBeAccepted()
    {
        var owner = await _client.RegisterAsync();
        var invitee = await _client.RegisterAsync();

        var declined = await _client.InviteAsync(owner, invitee.Email, "member");
        await (await _client.PostAsync($"/api/me/invitations/{declined}/decline", null, invitee.Token)).ReadJsonAsync(HttpStatusCode.NoContent);
        await (await _client.PostAsync($"/api/me/invitations/{declined}/accept", null, invitee.Token)).ReadProblemAsync(HttpStatusCode.NotFound);

        var revoked = await _client.InviteAsync(owner, invitee.Email, "member");
        await (await _client.DeleteAsync($"{Invitations(owner)}/{revoked}", owner.Token)).ReadJsonAsync(HttpStatusCode.NoContent);
        await (await _client.DeleteAsync($"{Invitations(owner)}/{revoked}", owner.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await _client.PostAsync($"/api/me/invitations/{revoked}/accept", null, invitee.Token)).ReadProblemAsync(HttpStatusCode.NotFound);

        var expired = await _client.InviteAsync(owner, invitee.Email, "member");
        await app.Database.ExecuteAsync("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1", expired);
        Assert.Empty((await (await _client.GetAsync("/api/me/invitations", invitee.Token)).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        await (await _client.PostAsync($"/api/me/invitations/{expired}/accept", null, invitee.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty((await (await _client.GetAsync(Invitations(owner), owner.Token)).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("items").EnumerateArray());

        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", owner.WorkspaceId, invitee.UserId));
    }

    [Fact]
    public async Task InvitingAgainReplacesThePendingInvitation()
    {
        var owner = await _client.RegisterAsync();
        var invitee = await _client.RegisterAsync();

        var first = await _client.InviteAsync(owner, invitee.Email, "member");
        var second = await _client.InviteAsync(owner, invitee.Email.ToUpperInvariant(), "admin");

        var pending = await (await _client.GetAsync(Invitations(owner), owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        var only = Assert.Single(pending.GetProperty("items").EnumerateArray());
        Assert.Equal(second, only.GetProperty("id").GetGuid());
        Assert.Equal("admin", only.GetProperty("role").GetString());
        await (await _client.PostAsync($"/api/me/invitations/{first}/accept", null, invitee.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OnlyAnOwnerInvitesAdminsOrOwnersAndAMemberInvitesNobody()
    {
        var owner = await _client.RegisterAsync();
        var admin = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        var adminToken = await _client.AddMemberAsync(owner, admin, "admin");
        var memberToken = await _client.AddMemberAsync(owner, member, "member");
        var email = $"invitee-{Guid.NewGuid():N}@example.com";

        await (await _client.PostAsync(Invitations(owner), new { email, role = "member" }, adminToken)).ReadJsonAsync(HttpStatusCode.Created);
        await (await _client.PostAsync(Invitations(owner), new { email, role = "admin" }, adminToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.PostAsync(Invitations(owner), new { email, role = "owner" }, adminToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.PostAsync(Invitations(owner), new { email, role = "owner" }, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        await (await _client.PostAsync(Invitations(owner), new { email, role = "member" }, memberToken)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.GetAsync(Invitations(owner), memberToken)).ReadProblemAsync(HttpStatusCode.Forbidden);

        var problem = await (await _client.PostAsync(Invitations(owner), new { email, role = "king" }, owner.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("role", out _));
    }

    [Fact]
    public async Task InvitingAMemberIsAConflict()
    {
        var owner = await _client.RegisterAsync();
        var member = await _client.RegisterAsync();
        await _client.AddMemberAsync(owner, member, "member");

        await (await _client.PostAsync(Invitations(owner), new { email = member.Email.ToUpperInvariant(), role = "member" }, owner.Token))
            .ReadProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task AWorkspaceCreatesAtMostFiftyInvitationsAnHour()
    {
        var owner = await _client.RegisterAsync();
        for (var i = 0; i < 50; i++)
        {
            await _client.InviteAsync(owner, $"probe-{i}-{Guid.NewGuid():N}@example.com", "member");
        }

        var refused = await _client.PostAsync(Invitations(owner), new { email = $"one-more-{Guid.NewGuid():N}@example.com", role = "member" }, owner.Token);

        await refused.ReadProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.InRange(int.Parse(refused.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture), 1, 3600);
        Assert.Equal(50L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM invitations WHERE workspace_id = $1", owner.WorkspaceId));
    }

    [Fact]
    public async Task PendingInvitationsArePagedByKeyset()
    {
        var owner = await _client.RegisterAsync();
        var emails = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            emails.Add($"paged-{i}-{Guid.NewGuid():N}@example.com");
            await _client.InviteAsync(owner, emails[^1], "member");
        }

        var seen = new List<string>();
        string? next = null;
        do
        {
            var page = await (await _client.GetAsync($"{Invitations(owner)}?limit=2{(next is null ? "" : $"&after={next}")}", owner.Token))
                .ReadJsonAsync(HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("email").GetString()!));
            next = page.GetProperty("next").GetString();
        }
        while (next is not null && seen.Count < 10);

        Assert.Equal(emails, seen);
        // A cursor the API did not issue: "{}" in base64url.
        await (await _client.GetAsync($"{Invitations(owner)}?after=e30", owner.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    // Property names and value kinds, recursively: what a response reveals by its form.
    private static string Shape(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", e.EnumerateObject().Select(p => $"{p.Name}:{Shape(p.Value)}")) + "}",
        JsonValueKind.Array => "[" + string.Join(",", e.EnumerateArray().Select(Shape)) + "]",
        _ => e.ValueKind.ToString(),
    };
}
