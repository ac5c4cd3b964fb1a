using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using CrmToolkit.Hosting.Postgres;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace CrmToolkit.Tests.Operations;

/// <summary>
/// The app as a developer sees it: the Aspire dashboard, opened in a real headless Chromium, and the dashboard's
/// database commands. Its own AppHost (with the dashboard, in Development), in the shared collection so that it
/// never runs beside the other data tests on two cores.
/// </summary>
[Collection(AppCollection.Name)]
public sealed partial class DashboardTests(DashboardAppFixture app, ITestOutputHelper output) : IClassFixture<DashboardAppFixture>
{
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task TheDashboardShowsTheResourcesAndATraceOfAnApiRequestWithItsSqlSpan()
    {
        // An authenticated API request whose trace id we choose (W3C traceparent), so that its trace is found exactly.
        using var client = app.NewClient();
        var account = await client.RegisterAsync();
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        request.Headers.Authorization = new("Bearer", account.Token);
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var me = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1000 } });
        var step = "login";
        try
        {
            // The login URL the AppHost prints; the dashboard sets its cookie and shows the resources.
            await page.GotoAsync(new Uri(app.DashboardAddress, $"/login?t={app.BrowserToken}").ToString());

            step = "resources";
            await WaitForRowsAsync(page, rows =>
                HasRow(rows, "postgres", "Running") && HasRow(rows, "migrator", "Finished") && HasRow(rows, "api", "Running"));

            step = "traces";
            await page.GotoAsync(new Uri(app.DashboardAddress, "/traces").ToString());
            // The list shows a trace by its first 7 hex digits, named "<resource>: <root span>".
            await WaitForRowsAsync(page, rows => rows.Any(cells =>
                cells.Any(c => c.Contains("api: GET /api/me", StringComparison.Ordinal))
                && cells.Any(c => c.Contains(traceId[..7], StringComparison.Ordinal))));

            step = "trace detail";
            await page.GotoAsync(new Uri(app.DashboardAddress, $"/traces/detail/{traceId}").ToString());
            var rows = await WaitForRowsAsync(page, rows =>
                rows.Any(cells => cells.Length > 0 && cells[0].StartsWith("GET /api/me", StringComparison.Ordinal))
                && rows.Any(cells => cells.Length > 0 && cells[0].StartsWith("postgresql", StringComparison.Ordinal)));
            output.WriteLine(string.Join(Environment.NewLine, rows.Select(cells => string.Join(" | ", cells))));

            // The SQL span's details: PostgreSQL, the crm database, and the statement the API sent.
            step = "span detail";
            await page.GetByRole(AriaRole.Row).Filter(new() { HasTextString = "postgresql" }).First.ClickAsync();
            var details = page.GetByText("db.system", new() { Exact = false }).First;
            await details.WaitForAsync(new() { Timeout = (float)WaitTimeout.TotalMilliseconds });
            var text = await page.InnerTextAsync("body");
            Assert.Matches(@"db\.system(\.name)?\s+postgresql", text);
            Assert.Matches(@"db\.namespace\s+crm\b", text);
            Assert.Matches(@"Source\s+Npgsql", text);
            Assert.Contains("db.query.text", text, StringComparison.Ordinal);
            Assert.Matches($@"TraceId\s+{traceId}", text);
        }
        catch (Exception)
        {
            output.WriteLine($"Dashboard step '{step}' failed; screenshot: {await SaveScreenshotAsync(page, step)}");
            throw;
        }
    }

    [Fact]
    public async Task AFreshStartShowsNoCertificateWarning()
    {
        await using var browser = await Chromium.LaunchAsync();
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 1000 } });
        try
        {
            await page.GotoAsync(new Uri(app.DashboardAddress, $"/login?t={app.BrowserToken}").ToString());
            await WaitForRowsAsync(page, rows => HasRow(rows, "migrator", "Finished") && HasRow(rows, "api", "Running"));

            // Aspire raises the warning once, as it starts, when a resource would use a development certificate and
            // none is trusted (there is none here); the dashboard shows it above every page, as a red message bar.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var text = await page.InnerTextAsync("body");
            Assert.DoesNotContain("development certificate", text, StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception)
        {
            output.WriteLine($"Screenshot: {await SaveScreenshotAsync(page, "certificate-warning")}");
            throw;
        }
    }

    [Fact]
    public async Task ResetDatabaseDropsAllDataAndTheApiWorksAgainWithoutARestart()
    {
        using var client = app.NewClient();
        var before = await client.RegisterAsync();
        long migrations;
        await using (var db = app.OpenDatabase())
        {
            Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM users WHERE email = $1", before.Email));
            migrations = await db.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\"");
        }

        var result = await ExecuteAsync(DatabaseResetCommands.ResetCommand);
        Assert.True(result.Success, result.Message);

        // Everything registered before is gone; the schema is back, every migration applied once.
        await using (var db = app.OpenDatabase())
        {
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM users"));
            Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM workspaces"));
            Assert.Equal(migrations, await db.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\""));
        }

        await (await client.GetAsync("/api/me", before.Token)).ReadProblemAsync(HttpStatusCode.Unauthorized);
        await (await client.PostAsync("/api/auth/login", new { email = before.Email, password = before.Password }))
            .ReadProblemAsync(HttpStatusCode.Unauthorized);

        // The API, still the same process, works again as crm_app: register, login, and an authenticated read.
        var after = await client.RegisterAsync();
        var token = await client.LoginAsync(after);
        var me = await (await client.GetAsync("/api/me", token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(after.Email, me.GetProperty("user").GetProperty("email").GetString());

        // Npgsql logs every command's SQL text at Information unless told not to: neither process may.
        foreach (var resource in new[] { "api", "migrator" })
        {
            Assert.DoesNotContain(await LogsOfAsync(resource), line => line.Contains("Command execution completed", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task ResetAndSeedLeavesOnlyTheDemoDataWhoseUserCanSignIn()
    {
        using var client = app.NewClient();
        var before = await client.RegisterAsync();

        var result = await ExecuteAsync(DatabaseResetCommands.ResetAndSeedCommand);
        Assert.True(result.Success, result.Message);

        // The demo password is new on every seed and shown only in the command's result.
        var password = DemoPassword().Match(result.Data?.Value ?? "").Groups[1].Value;
        Assert.Equal(20, password.Length);

        await using (var db = app.OpenDatabase())
        {
            Assert.Equal([DatabaseResetCommands.DemoEmail], await db.ListAsync("SELECT email FROM users"));
            // Hashed by the API itself (ASP.NET Core Identity v3 format), never stored as given.
            var hash = await db.ScalarAsync<string>("SELECT password_hash FROM users");
            Assert.DoesNotContain(password, hash, StringComparison.Ordinal);
            Assert.Equal(0x01, Convert.FromBase64String(hash)[0]);
        }

        var login = await (await client.PostAsync("/api/auth/login", new { email = DatabaseResetCommands.DemoEmail, password }))
            .ReadJsonAsync(HttpStatusCode.OK);
        var token = login.GetProperty("session").GetProperty("token").GetString()!;
        var workspaceId = login.GetProperty("workspace").GetProperty("id").GetString()!;
        var contacts = await (await client.GetAsync($"/api/workspaces/{workspaceId}/contacts", token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(4, contacts.GetProperty("items").GetArrayLength());
        await (await client.GetAsync("/api/me", before.Token)).ReadProblemAsync(HttpStatusCode.Unauthorized);

        foreach (var resource in new[] { "crm", "api", "migrator" })
        {
            Assert.DoesNotContain(await LogsOfAsync(resource), line => line.Contains(password, StringComparison.Ordinal));
        }
    }

    /// <summary>Every console line a resource has logged so far.</summary>
    private async Task<List<string>> LogsOfAsync(string resourceName)
    {
        var resource = app.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        var lines = new List<string>();
        await foreach (var batch in app.App.Services.GetRequiredService<ResourceLoggerService>().GetAllAsync(resource))
        {
            lines.AddRange(batch.Select(line => line.Content));
        }

        return lines;
    }

    private async Task<ExecuteCommandResult> ExecuteAsync(string command)
    {
        using var cts = new CancellationTokenSource(CommandTimeout);
        return await app.App.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync("crm", command, cts.Token);
    }

    [GeneratedRegex(@"password \| `([^`]+)`")]
    private static partial Regex DemoPassword();

    // The state cell may carry a badge after the state (e.g. the count of error logs): compare its first line.
    private static bool HasRow(IReadOnlyList<string[]> rows, string name, string state) =>
        rows.Any(cells => cells.Length > 1 && cells[0] == name && cells[1].Split('\n')[0].Trim() == state);

    /// <summary>Polls the page's grid rows (text of each cell) until the condition holds, for up to a minute.</summary>
    private static async Task<IReadOnlyList<string[]>> WaitForRowsAsync(IPage page, Func<IReadOnlyList<string[]>, bool> condition)
    {
        var deadline = DateTime.UtcNow + WaitTimeout;
        IReadOnlyList<string[]> rows = [];
        while (DateTime.UtcNow < deadline)
        {
            rows = await page.EvaluateAsync<string[][]>(
                "() => [...document.querySelectorAll('[role=row]')].map(r => [...r.querySelectorAll('[role=gridcell]')].map(c => c.innerText.trim()))");
            if (condition(rows))
            {
                return rows;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException("The dashboard did not show what was expected within a minute. Rows:" + Environment.NewLine
            + string.Join(Environment.NewLine, rows.Select(cells => string.Join(" | ", cells))));
    }

    private static async Task<string> SaveScreenshotAsync(IPage page, string step)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"dashboard-{step.Replace(' ', '-')}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        return path;
    }
}
