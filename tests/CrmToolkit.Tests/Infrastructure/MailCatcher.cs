using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>A mail the catcher holds: its envelope recipients, subject, and plain-text body ("" when it has none).</summary>
public sealed record MailMessage(string Id, IReadOnlyList<string> To, string Subject, string Body);

/// <summary>
/// A client of the mail catcher's REST API (smtp4dev, the AppHost's resource <c>mail</c>): the mails the API sent, as
/// its web UI shows them. The catcher keeps them in memory, so a restart of the resource empties it.
/// </summary>
public sealed class MailCatcher(Uri address) : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly HttpClient _http = new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The newest mail to <paramref name="to"/> (that <paramref name="match"/> accepts), once it has arrived.</summary>
    public async Task<MailMessage> WaitForMailAsync(string to, Func<MailMessage, bool>? match = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        IReadOnlyList<MailMessage> seen = [];
        try
        {
            while (true)
            {
                seen = await MessagesToAsync(to, cts.Token);
                if (seen.FirstOrDefault(m => match is null || match(m)) is { } mail)
                {
                    return mail;
                }

                await Task.Delay(PollInterval, cts.Token);
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            var subjects = seen.Count == 0 ? "none" : string.Join(", ", seen.Select(m => $"'{m.Subject}'"));
            throw new TimeoutException($"No mail to {to}{(match is null ? "" : " that matches")} within {limit}; mails to it: {subjects}.");
        }
    }

    /// <summary>The mails to <paramref name="to"/> once there are at least <paramref name="count"/> (the newest first), or all there are when the time is up.</summary>
    public async Task<IReadOnlyList<MailMessage>> WaitForCountAsync(string to, int count, TimeSpan? timeout = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var mails = await MessagesToAsync(to);
            if (mails.Count >= count || waited.Elapsed > (timeout ?? DefaultTimeout))
            {
                return mails;
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Every mail held for <paramref name="to"/> (an envelope recipient, any case), the newest first.</summary>
    public async Task<IReadOnlyList<MailMessage>> MessagesToAsync(string to, CancellationToken cancellationToken = default)
    {
        // searchTerms narrows the list on the server (subject, sender or recipients contain it); the exact recipient is
        // checked here. The default sort is the newest first.
        var page = await _http.GetFromJsonAsync<SummaryPage>(
            $"api/messages?searchTerms={Uri.EscapeDataString(to)}&pageSize=1000", JsonSerializerOptions.Web, cancellationToken)
            ?? throw new InvalidOperationException("The mail catcher answered no message list.");

        var mails = new List<MailMessage>();
        foreach (var summary in page.Results.Where(s => s.To.Any(r => IsAddress(r, to))))
        {
            mails.Add(new MailMessage(summary.Id, summary.To, summary.Subject, await PlainTextAsync(summary.Id, cancellationToken)));
        }

        return mails;
    }

    public void Dispose() => _http.Dispose();

    private async Task<string> PlainTextAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"api/messages/{id}/plaintext", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return ""; // an HTML-only mail
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private static bool IsAddress(string recipient, string address) =>
        recipient.Equals(address, StringComparison.OrdinalIgnoreCase)
        || recipient.EndsWith($"<{address}>", StringComparison.OrdinalIgnoreCase);

    // GET /api/messages: {"results":[{"id","from","to":[...],"deliveredTo","subject","receivedDate",...}],"currentPage",
    // "pageCount","pageSize","rowCount",...}; "to" holds the envelope recipients.
    private sealed record SummaryPage(List<Summary> Results);

    private sealed record Summary(string Id, List<string> To, string Subject);
}
