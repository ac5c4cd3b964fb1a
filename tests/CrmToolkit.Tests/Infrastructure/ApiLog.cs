using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>
/// The API resource's log lines from now on, as the dashboard shows them. The resource log replays the whole run, so
/// only lines stamped after the watch began count (other tests provoke faults on purpose).
/// </summary>
public sealed class ApiLog : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly CancellationTokenSource _watching = new();
    private readonly Task _watcher;

    public ApiLog(DistributedApplication app)
    {
        var api = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "api");
        var started = DateTime.UtcNow.AddSeconds(-1);
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        _watcher = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in logs.WatchAsync(api).WithCancellation(_watching.Token))
                {
                    foreach (var line in batch.Where(l => DateTime.TryParse(l.Content.Split(' ', 2)[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var at) && at >= started))
                    {
                        _lines.Enqueue(line.Content);
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
}
