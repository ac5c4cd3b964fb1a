using System.Net;
using System.Text.RegularExpressions;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// Contract v1.2, proof of email: an address counts once its owner opened a link mailed to it. Every mail is read from
/// the AppHost's mail catcher, as its owner would read it.
/// </summary>
[Collection(AppCollection.Name)]
public sealed partial class ProofOfEmailTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task RegistrationMailsALinkThatVerifiesTheAddressOnce()
    {
        var account = await _client.RegisterAsync(verified: false);
        Assert.False((await Me(account.Token)).GetProperty("user").GetProperty("emailVerified").GetBoolean());

        var mail = await app.Mail.WaitForMailAsync(account.Email, m => m.Subject == "Confirm your email address");
        var link = LinkIn(mail.Body);
        Assert.StartsWith(new Uri(app.ApiAddress, "/verify-email?token=").ToString(), link.ToString(), StringComparison.Ordinal);
        var token = TokenOf(link);

        var verified = await _client.PostAsync("/api/auth/verify-email", new { token });

        Assert.Equal(HttpStatusCode.NoContent, verified.StatusCode);
        Assert.True((await Me(account.Token)).GetProperty("user").GetProperty("emailVerified").GetBoolean());
        await (await _client.PostAsync("/api/auth/verify-email", new { token })).ReadProblemAsync(HttpStatusCode.BadRequest);
        // Only its hash is stored.
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token)));
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM email_tokens WHERE id = $1 AND used_at IS NOT NULL", hash));
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM email_tokens WHERE strpos(id, $1) > 0", token));
    }

    [Fact]
    public async Task UnknownUsedExpiredAndMalformedTokensGetOneAnswer()
    {
        var account = await _client.RegisterAsync(verified: false);
        var used = TokenOf(LinkIn((await app.Mail.WaitForMailAsync(account.Email)).Body));
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PostAsync("/api/auth/verify-email", new { token = used })).StatusCode);

        var other = await _client.RegisterAsync(verified: false);
        var expired = TokenOf(LinkIn((await app.Mail.WaitForMailAsync(other.Email)).Body));
        await app.Database.ExecuteAsync("UPDATE email_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", other.UserId);

        var unknown = Convert.ToBase64String(new byte[32]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string[] tokens = [used, expired, unknown, "not-a-token", "", new string('A', 5000)];
        var answers = new List<string>();
        foreach (var token in tokens)
        {
            foreach (var route in new[] { "/api/auth/verify-email", "/api/auth/password-reset/confirm" })
            {
                var problem = await (await _client.PostAsync(route, new { token, password = "a new password" })).ReadProblemAsync(HttpStatusCode.BadRequest);
                answers.Add(problem.GetProperty("title").GetString() + "|" + (problem.TryGetProperty("detail", out var detail) ? detail.GetString() : ""));
            }
        }

        // One answer for all, but for the empty token, which is a missing field (a validation problem naming it).
        Assert.Single(answers.Where(a => !a.StartsWith("One or more validation errors", StringComparison.Ordinal)).Distinct());
        Assert.Equal(2, answers.Count(a => a.StartsWith("One or more validation errors", StringComparison.Ordinal)));
        Assert.False((await Me(other.Token)).GetProperty("user").GetProperty("emailVerified").GetBoolean());
    }

    [Fact]
    public async Task AnUnverifiedAccountCannotSeeAnswerOrSendInvitations()
    {
        var owner = await _client.RegisterAsync();
        var invitee = await _client.RegisterAsync(verified: false);
        var invitation = await _client.InviteAsync(owner, invitee.Email, "member");
        var unverifiedOwner = await _client.RegisterAsync(verified: false);

        await (await _client.GetAsync("/api/me/invitations", invitee.Token)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.PostAsync($"/api/me/invitations/{invitation}/accept", null, invitee.Token)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.PostAsync($"/api/me/invitations/{invitation}/decline", null, invitee.Token)).ReadProblemAsync(HttpStatusCode.Forbidden);
        var refused = await (await _client.PostAsync($"/api/workspaces/{unverifiedOwner.WorkspaceId}/invitations",
            new { email = "someone@example.com", role = "member" }, unverifiedOwner.Token)).ReadProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("verify-email/resend", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The same account may still work in its own workspace.
        await (await _client.PostAsync($"/api/workspaces/{invitee.WorkspaceId}/contacts", new { firstName = "Grace" }, invitee.Token))
            .ReadJsonAsync(HttpStatusCode.Created);
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM invitations WHERE workspace_id = $1", unverifiedOwner.WorkspaceId));
    }

    [Fact]
    public async Task RegisteringSomeoneElsesAddressNoLongerTakesTheirInvitation()
    {
        var owner = await _client.RegisterAsync();
        var newHire = $"newhire-{Guid.NewGuid():N}@example.com";
        var invitation = await _client.InviteAsync(owner, newHire, "admin");

        // The outsider registers the address first, in another case, and cannot read the mailbox.
        var response = await _client.PostAsync("/api/auth/register", new { email = newHire.ToUpperInvariant(), password = "correct horse battery", name = "Mallory" });
        var outsider = (await response.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("session").GetProperty("token").GetString()!;

        await (await _client.GetAsync("/api/me/invitations", outsider)).ReadProblemAsync(HttpStatusCode.Forbidden);
        await (await _client.PostAsync($"/api/me/invitations/{invitation}/accept", null, outsider)).ReadProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM workspace_members WHERE workspace_id = $1", owner.WorkspaceId));
        Assert.Equal("pending", await app.Database.ScalarAsync<string>("SELECT status FROM invitations WHERE id = $1", invitation));
    }

    [Fact]
    public async Task AnInvitationIsMailedToTheInvitedAddressNamingTheWorkspaceAndTheInviter()
    {
        var owner = await _client.RegisterAsync(workspaceName: "Mail Room");
        var invited = $"invited-{Guid.NewGuid():N}@example.com";

        await _client.InviteAsync(owner, invited, "member");

        var mail = await app.Mail.WaitForMailAsync(invited);
        Assert.Contains("Test User", mail.Subject, StringComparison.Ordinal);
        Assert.Contains("Mail Room", mail.Body, StringComparison.Ordinal);
        Assert.Contains("Test User", mail.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInvitationIsVoidOnceItsInviterIsRemovedOrMayNoLongerGrantItsRole()
    {
        var owner = await _client.RegisterAsync();
        var admin = await _client.RegisterAsync();
        var adminToken = await _client.AddMemberAsync(owner, admin, "admin");
        var removedAdmin = admin with { WorkspaceId = owner.WorkspaceId, Token = adminToken };
        var byAdmin = await _client.RegisterAsync();
        var fromRemoved = await _client.InviteAsync(removedAdmin, byAdmin.Email, "member");

        var demoted = await _client.RegisterAsync();
        var demotedToken = await _client.AddMemberAsync(owner, demoted, "owner");
        var byDemoted = await _client.RegisterAsync();
        var fromDemoted = await _client.InviteAsync(demoted with { WorkspaceId = owner.WorkspaceId, Token = demotedToken }, byDemoted.Email, "admin");

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/workspaces/{owner.WorkspaceId}/members/{admin.UserId}", owner.Token)).StatusCode);
        await (await _client.PatchAsync($"/api/workspaces/{owner.WorkspaceId}/members/{demoted.UserId}", new { role = "admin" }, owner.Token))
            .ReadJsonAsync(HttpStatusCode.OK);

        var pending = await (await _client.GetAsync($"/api/workspaces/{owner.WorkspaceId}/invitations", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Empty(pending.GetProperty("items").EnumerateArray());
        foreach (var (invitee, invitation) in new[] { (byAdmin, fromRemoved), (byDemoted, fromDemoted) })
        {
            var mine = await (await _client.GetAsync("/api/me/invitations", invitee.Token)).ReadJsonAsync(HttpStatusCode.OK);
            Assert.Empty(mine.EnumerateArray());
            await (await _client.PostAsync($"/api/me/invitations/{invitation}/accept", null, invitee.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        }

        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM workspace_members WHERE workspace_id = $1 AND user_id IN ($2, $3)", owner.WorkspaceId, byAdmin.UserId, byDemoted.UserId));
    }

    [Fact]
    public async Task AnOwnerDemotedWhileTheirInvitationWaitsForTheLockCannotGrantOwner()
    {
        var owner = await _client.RegisterAsync();
        var coOwner = await _client.RegisterAsync();
        var coOwnerToken = await _client.AddMemberAsync(owner, coOwner, "owner");

        await using var connection = await app.Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            hold.Parameters.AddWithValue(owner.WorkspaceId);
            await hold.ExecuteNonQueryAsync();
        }

        // Authenticated as an owner, the request then waits for the workspace's lock while the demotion commits.
        var creating = _client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/invitations", new { email = $"late-{Guid.NewGuid():N}@example.com", role = "owner" }, coOwnerToken);
        await app.ApiBackendsWaitingOnALockAsync(1);
        await using (var demote = new Npgsql.NpgsqlCommand("UPDATE workspace_members SET role = 'admin' WHERE workspace_id = $1 AND user_id = $2", connection, transaction))
        {
            demote.Parameters.AddWithValue(owner.WorkspaceId);
            demote.Parameters.AddWithValue(coOwner.UserId);
            await demote.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();

        await (await creating).ReadProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM invitations WHERE workspace_id = $1", owner.WorkspaceId));
    }

    [Fact]
    public async Task ResendMailsANewLinkFiveTimesAnHourAndNothingOnceVerified()
    {
        var account = await _client.RegisterAsync(verified: false);
        await app.Mail.WaitForMailAsync(account.Email);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync("/api/auth/verify-email/resend", null, account.Token)).StatusCode);
        }

        var refused = await _client.PostAsync("/api/auth/verify-email/resend", null, account.Token);
        await refused.ReadProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);

        // Six mails, each with its own link; the newest one verifies.
        var mails = await app.Mail.WaitForCountAsync(account.Email, 6);
        Assert.Equal(6, mails.Select(m => TokenOf(LinkIn(m.Body))).Distinct().Count());
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PostAsync("/api/auth/verify-email", new { token = TokenOf(LinkIn(mails[0].Body)) })).StatusCode);

        var verified = await _client.RegisterAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync("/api/auth/verify-email/resend", null, verified.Token)).StatusCode);
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM email_tokens WHERE user_id = $1", verified.UserId));
    }

    [Fact]
    public async Task APasswordResetReplacesThePasswordEndsEverySessionAndProvesTheEmail()
    {
        var account = await _client.RegisterAsync(verified: false);
        var second = await _client.LoginAsync(account);

        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync("/api/auth/password-reset", new { email = account.Email.ToUpperInvariant() })).StatusCode);
        var token = TokenOf(LinkIn((await app.Mail.WaitForMailAsync(account.Email, m => m.Subject == "Reset your password")).Body));

        await (await _client.PostAsync("/api/auth/password-reset/confirm", new { token, password = "short" })).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PostAsync("/api/auth/password-reset/confirm", new { token, password = "a brand new password" })).StatusCode);

        foreach (var ended in new[] { account.Token, second })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await _client.GetAsync("/api/me", ended)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.PostAsync("/api/auth/login", new { email = account.Email, password = account.Password })).StatusCode);
        var signedIn = await (await _client.PostAsync("/api/auth/login", new { email = account.Email, password = "a brand new password" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True(signedIn.GetProperty("user").GetProperty("emailVerified").GetBoolean());
        await (await _client.PostAsync("/api/auth/password-reset/confirm", new { token, password = "yet another password" })).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task APasswordResetAnswersAlikeForUnknownAddressesAndIsBoundedPerEmailAndPerAddress()
    {
        var account = await _client.RegisterAsync();
        var unknown = $"nobody-{Guid.NewGuid():N}@example.com";

        var known = await _client.PostAsync("/api/auth/password-reset", new { email = account.Email });
        var missing = await _client.PostAsync("/api/auth/password-reset", new { email = unknown });
        Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, missing.StatusCode);
        Assert.Equal(await known.Content.ReadAsStringAsync(), await missing.Content.ReadAsStringAsync());
        await (await _client.PostAsync("/api/auth/password-reset", new { email = "not an email" })).ReadProblemAsync(HttpStatusCode.BadRequest);

        for (var i = 1; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync("/api/auth/password-reset", new { email = unknown })).StatusCode);
        }

        await (await _client.PostAsync("/api/auth/password-reset", new { email = unknown })).ReadProblemAsync(HttpStatusCode.TooManyRequests);

        // Another client address may still ask for the known account, until that address has asked 20 times.
        using var other = app.NewClient();
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await other.PostAsync("/api/auth/password-reset", new { email = $"many-{i}-{Guid.NewGuid():N}@example.com" })).StatusCode);
        }

        await (await other.PostAsync("/api/auth/password-reset", new { email = account.Email })).ReadProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Empty(await app.Mail.MessagesToAsync(unknown));
    }

    [Fact]
    public async Task AChangeThatRollsBackSendsNoMail()
    {
        var account = await _client.RegisterAsync(verified: false);
        await app.Mail.WaitForMailAsync(account.Email);

        // The same email again: the registration rolls back (409), and its verification mail with it.
        var taken = await _client.PostAsync("/api/auth/register", new { email = account.Email.ToUpperInvariant(), password = "correct horse battery", name = "Twin" });
        await taken.ReadProblemAsync(HttpStatusCode.Conflict);

        // A mail committed after it is delivered after it: once that one is there, a rolled-back mail would be too.
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync("/api/auth/verify-email/resend", null, account.Token)).StatusCode);
        var mails = await app.Mail.WaitForCountAsync(account.Email, 2);
        Assert.Equal(2, mails.Count);
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM mail_outbox WHERE to_address ILIKE $1", account.Email));
    }

    [Fact]
    public async Task MailsCausedWhileTheMailServerIsDownArriveOnceItIsBack()
    {
        await app.StopMailAsync();
        List<Account> accounts;
        try
        {
            accounts = [await _client.RegisterAsync(verified: false), await _client.RegisterAsync(verified: false), await _client.RegisterAsync(verified: false)];
            Assert.Equal(3L, await app.Database.ScalarAsync<long>(
                "SELECT count(*) FROM mail_outbox WHERE to_address = ANY($1)", (object)accounts.Select(a => a.Email).ToArray()));
        }
        finally
        {
            await app.StartMailAsync();
        }

        foreach (var account in accounts)
        {
            await app.Mail.WaitForMailAsync(account.Email, timeout: TimeSpan.FromSeconds(90));
        }

        // Sent means deleted from the outbox; and nothing arrives twice.
        await Task.Delay(TimeSpan.FromSeconds(2));
        foreach (var account in accounts)
        {
            Assert.Single(await app.Mail.MessagesToAsync(account.Email));
        }

        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT count(*) FROM mail_outbox WHERE to_address = ANY($1)", (object)accounts.Select(a => a.Email).ToArray()));
    }

    [Fact]
    public async Task NoTokenOfTheseFlowsAppearsInTheApiLog()
    {
        await using var log = new ResourceLog(app.App);
        var account = await _client.RegisterAsync(verified: false);
        var verify = LinkIn((await app.Mail.WaitForMailAsync(account.Email)).Body);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync(verify.PathAndQuery)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PostAsync("/api/auth/verify-email", new { token = TokenOf(verify) })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync("/api/auth/password-reset", new { email = account.Email })).StatusCode);
        var reset = LinkIn((await app.Mail.WaitForMailAsync(account.Email, m => m.Subject == "Reset your password")).Body);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.PostAsync("/api/auth/password-reset/confirm", new { token = TokenOf(reset), password = "logged nowhere" })).StatusCode);
        var unreadable = new HttpRequestMessage(HttpMethod.Post, "/api/auth/verify-email") { Content = new StringContent("{\"token\":", System.Text.Encoding.UTF8, "application/json") };
        await (await _client.SendAsync(unreadable)).ReadProblemAsync(HttpStatusCode.BadRequest);

        await log.WaitForAsync("mapped to 400");
        foreach (var secret in new[] { TokenOf(verify), TokenOf(reset), account.Token, "logged nowhere" })
        {
            Assert.DoesNotContain(log.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }

    private async Task<System.Text.Json.JsonElement> Me(string token) =>
        await (await _client.GetAsync("/api/me", token)).ReadJsonAsync(HttpStatusCode.OK);

    /// <summary>The one link in a mail's text.</summary>
    internal static Uri LinkIn(string body) => new(Link().Match(body) is { Success: true } match ? match.Value : throw new InvalidOperationException($"No link in: {body}"));

    internal static string TokenOf(Uri link) =>
        System.Web.HttpUtility.ParseQueryString(link.Query)["token"] ?? throw new InvalidOperationException($"No token in {link}.");

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex Link();
}
