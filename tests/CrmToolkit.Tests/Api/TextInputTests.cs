using System.Net;
using System.Text;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// Contract v1.1's text rules: names and emails refuse control and format characters (an account must not look like
/// another), text is stored in NFC, and emails that differ only by case are one account everywhere.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class TextInputTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    public static TheoryData<string, string> LookAlikes => new()
    {
        { "email", "zero width space after the domain" },
        { "email", "zero width joiner in the local part" },
        { "name", "right-to-left override" },
        { "name", "word joiner" },
        { "workspaceName", "left-to-right embedding" },
        { "name", "tag character beyond U+FFFF" },
    };

    [Theory]
    [MemberData(nameof(LookAlikes))]
    public async Task FormatCharactersInANameOrEmailAreRefused(string field, string what)
    {
        var unique = Guid.NewGuid().ToString("N");
        var body = new Dictionary<string, object?>
        {
            ["email"] = $"user-{unique}@example.com",
            ["password"] = "correct horse",
            ["name"] = "Vic",
            ["workspaceName"] = "Vic's place",
        };
        body[field] = what switch
        {
            "zero width space after the domain" => $"user-{unique}@example.com\u200B",
            "zero width joiner in the local part" => $"us\u200Der-{unique}@example.com",
            "right-to-left override" => "Vic\u202Etxt.exe",
            "word joiner" => "V\u2060ic",
            "tag character beyond U+FFFF" => "Vic\U000E0041",
            _ => "\u202AVic's place",
        };

        var problem = await (await _client.PostAsync("/api/auth/register", body)).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM users WHERE email LIKE $1", $"%{unique}%"));
    }

    [Fact]
    public async Task NotesMayHoldLineBreaksButNoFormatCharacters()
    {
        var owner = await _client.RegisterAsync();
        var contacts = $"/api/workspaces/{owner.WorkspaceId}/contacts";

        await (await _client.PostAsync(contacts, new { firstName = "Ada", notes = "line one\nline two\tand a tab" }, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        await (await _client.PostAsync(contacts, new { firstName = "Ada", notes = "hidden\u200Bspace" }, owner.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PatchAsync($"/api/workspaces/{owner.WorkspaceId}", new { description = "flipped \u202E" }, owner.Token)).ReadProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task TextIsStoredInNormalizationFormC()
    {
        var decomposed = "Zoe\u0308 E\u0301lodie"; // "Zoë Élodie" with combining marks
        var email = $"e\u0301lodie-{Guid.NewGuid():N}@example.com";

        var body = await (await _client.PostAsync("/api/auth/register", new { email, password = "correct horse", name = decomposed }))
            .ReadJsonAsync(HttpStatusCode.Created);

        var composed = decomposed.Normalize(NormalizationForm.FormC);
        Assert.Equal(composed, body.GetProperty("user").GetProperty("name").GetString());
        var userId = body.GetProperty("user").GetProperty("id").GetGuid();
        Assert.Equal(composed, await app.Database.ScalarAsync<string>("SELECT name FROM users WHERE id = $1", userId));
        Assert.Equal(email.Normalize(NormalizationForm.FormC), await app.Database.ScalarAsync<string>("SELECT email FROM users WHERE id = $1", userId));
        // Either spelling of the email signs in.
        await (await _client.PostAsync("/api/auth/login", new { email = email.Normalize(NormalizationForm.FormC), password = "correct horse" })).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task EmailsThatDifferOnlyByCaseAreOneAccountForLoginAndForTheFailedLoginLimit()
    {
        var local = $"élodie-{Guid.NewGuid():N}";
        var email = $"{local}@example.com";
        await (await _client.PostAsync("/api/auth/register", new { email, password = "correct horse", name = "Élodie" })).ReadJsonAsync(HttpStatusCode.Created);

        var shouted = email.ToUpperInvariant(); // "ÉLODIE-...@EXAMPLE.COM"
        await (await _client.PostAsync("/api/auth/login", new { email = shouted, password = "correct horse" })).ReadJsonAsync(HttpStatusCode.OK);
        await (await _client.PostAsync("/api/auth/register", new { email = shouted, password = "correct horse", name = "Copy" })).ReadProblemAsync(HttpStatusCode.Conflict);

        // Ten wrong guesses under alternating spellings are ten guesses at one account.
        for (var i = 0; i < 10; i++)
        {
            await (await _client.PostAsync("/api/auth/login", new { email = i % 2 == 0 ? email : shouted, password = $"wrong {i}" }))
                .ReadProblemAsync(HttpStatusCode.Unauthorized);
        }

        await (await _client.PostAsync("/api/auth/login", new { email = $"{local.ToUpperInvariant()}@example.com", password = "correct horse" }))
            .ReadProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM login_failures WHERE account_key ILIKE $1", $"%{local}%"));
    }
}
