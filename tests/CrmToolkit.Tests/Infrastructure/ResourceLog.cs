using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// A resource's log lines, as the dashboard shows them: each stamped by the orchestrator (<c>2026-...Z text</c>). The
/// resource log replays the whole run, then waits for more: <see cref="ReplayAsync"/> takes what is there, and a
/// watching instance keeps the lines stamped after it began (other tests provoke faults on purpose).
/// </summary>
public sealed class ResourceLog : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly CancellationTokenSource _watching = new();
    private readonly Task _watcher;

    /// <summary>Watches <paramref name="resourceName"/>'s log from now on.</summary>
    public ResourceLog(DistributedApplication app, string resourceName = "api")
    {
        var started = DateTime.UtcNow.AddSeconds(-1);
        _watcher = Task.Run(async () =>
        {
            try
            {
                await foreach (var (at, text) in WatchAsync(app, resourceName, _watching.Token))
                {
                    if (at >= started)
                    {
                        _lines.Enqueue($"{at:O} {text}");
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Done watching.
            }
        });
    }

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>Every line <paramref name="resourceName"/> has logged so far, with its timestamp.</summary>
    public static async Task<List<(DateTime At, string Text)>> ReplayAsync(DistributedApplication app, string resourceName)
    {
        var lines = new List<(DateTime At, string Text)>();
        using var replayed = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var line in WatchAsync(app, resourceName, replayed.Token))
            {
                lines.Add(line);
            }
        }
        catch (OperationCanceledException)
        {
            // Replayed.
        }

        Assert.NotEmpty(lines);
        return lines;
    }

    /// <summary>Waits (up to 20 s) for a line that contains <paramref name="text"/>, and asserts it came: the log is really being read.</summary>
    public async Task WaitForAsync(string text)
    {
        var deadline = Stopwatch.StartNew();
        while (!_lines.Any(l => l.Contains(text, StringComparison.Ordinal)) && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
        }

        Assert.Contains(_lines, l => l.Contains(text, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _watching.CancelAsync();
        await _watcher;
        _watching.Dispose();
    }

    private static async IAsyncEnumerable<(DateTime At, string Text)> WatchAsync(
        DistributedApplication app, string resourceName, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var resource = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resourceName);
        await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(resource).WithCancellation(cancellationToken))
        {
            foreach (var parts in batch.Select(l => l.Content.Split(' ', 2)))
            {
                if (parts.Length == 2 && DateTime.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var at))
                {
                    yield return (at, parts[1]);
                }
            }
        }
    }
}
