using Microsoft.Playwright;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright. Playwright never downloads a browser here: its driver (a Node.js
/// build inside the NuGet package, under <c>bin/.../.playwright</c>) is pointed at the installed one.
/// </summary>
public static class Chromium
{
    /// <summary>Where Debian's <c>chromium</c> package puts it; <c>CRM_CHROMIUM</c> overrides it.</summary>
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("CRM_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>A headless browser; dispose it to end both the browser and the driver.</summary>
    public static async Task<Browser> LaunchAsync()
    {
        // A missing browser fails the test with what to do, rather than skipping it.
        Assert.True(File.Exists(ExecutablePath),
            $"Chromium is not installed at {ExecutablePath}. Install it once with 'sudo apt-get install -y chromium' " +
            "(Debian/Ubuntu), or set CRM_CHROMIUM to a Chromium executable.");

        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Timeout = 60_000,
            });
            return new Browser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public sealed class Browser(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
    {
        public Task<IPage> NewPageAsync(BrowserNewPageOptions? options = null) => browser.NewPageAsync(options);

        public async ValueTask DisposeAsync()
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }
}
