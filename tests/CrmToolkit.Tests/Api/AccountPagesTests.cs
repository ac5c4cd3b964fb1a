using System.Net;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// The links in the mails work when clicked: Chromium opens each from the mail catcher, on the pages the API serves
/// by default, and completes the flow as a person would.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class AccountPagesTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task TheVerificationLinkConfirmsTheAddressWithOneClick()
    {
        var account = await _client.RegisterAsync(verified: false);
        var link = ProofOfEmailTests.LinkIn((await app.Mail.WaitForMailAsync(account.Email, m => m.Subject == "Confirm your email address")).Body);

        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.NewPageAsync();
        var opened = await page.GotoAsync(link.ToString());
        Assert.Equal(200, opened!.Status);
        // Opening the page (as a mail scanner would) proves nothing yet; the click does.
        Assert.False(await VerifiedAsync(account));

        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("#result.ok");

        Assert.Contains("confirmed", await page.InnerTextAsync("#result"), StringComparison.Ordinal);
        Assert.True(await VerifiedAsync(account));

        // The same link again: it is used.
        await page.GotoAsync(link.ToString());
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("#result.error");
    }

    [Fact]
    public async Task TheResetLinkOpensAFormThatSetsANewPassword()
    {
        var account = await _client.RegisterAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync("/api/auth/password-reset", new { email = account.Email })).StatusCode);
        var link = ProofOfEmailTests.LinkIn((await app.Mail.WaitForMailAsync(account.Email, m => m.Subject == "Reset your password")).Body);

        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.NewPageAsync();
        var opened = await page.GotoAsync(link.ToString());
        Assert.Equal("no-referrer", opened!.Headers["referrer-policy"]);

        await page.FillAsync("#password", "chosen in a browser");
        await page.FillAsync("#password-again", "something else");
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("#result.error");
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync("/api/me", account.Token)).StatusCode);

        await page.FillAsync("#password-again", "chosen in a browser");
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("#result.ok");

        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.GetAsync("/api/me", account.Token)).StatusCode);
        await (await _client.PostAsync("/api/auth/login", new { email = account.Email, password = "chosen in a browser" })).ReadJsonAsync(HttpStatusCode.OK);
    }

    private async Task<bool> VerifiedAsync(Account account) =>
        await app.Database.ScalarAsync<bool>("SELECT email_verified FROM users WHERE id = $1", account.UserId);
}
