using CrmToolkit.Api.Infrastructure.Auth;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Tests.Api;

public sealed class PasswordHashingQueueTests
{
    private static PasswordHashingQueue Queue(int queueLength) =>
        new(Options.Create(new PasswordHashingOptions { MaxConcurrent = 1, QueueLength = queueLength }));

    [Fact]
    public async Task HashesRunOnAThreadOfTheLowestCpuPriority()
    {
        using var queue = Queue(1);

        // /proc/thread-self/stat: the 19th field is the thread's nice value; the name (field 2) may contain spaces.
        var stat = await queue.RunAsync(() => File.ReadAllText("/proc/thread-self/stat"), default);
        var nice = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19 - 3];

        Assert.Equal("19", nice);
    }

    [Fact]
    public async Task BeyondTheQueueRequestsAreRefusedAtOnceAndTheQueuedOnesStillComplete()
    {
        using var queue = Queue(1);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();

        var running = queue.RunAsync(() => { started.Set(); release.Wait(); return 1; }, default);
        started.Wait(TimeSpan.FromSeconds(10));
        var waiting = queue.RunAsync(() => 2, default);

        Assert.Throws<PasswordHashingBusyException>(queue.ThrowIfFull);
        await Assert.ThrowsAsync<PasswordHashingBusyException>(() => queue.RunAsync(() => 3, default));

        release.Set();
        Assert.Equal(1, await running);
        Assert.Equal(2, await waiting);
        queue.ThrowIfFull(); // room again
    }

    [Fact]
    public async Task AHashWhoseClientLeftWhileQueuedIsNeverComputed()
    {
        using var queue = Queue(1);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        using var clientGone = new CancellationTokenSource();
        var computed = false;

        var running = queue.RunAsync(() => { started.Set(); release.Wait(); return 1; }, default);
        started.Wait(TimeSpan.FromSeconds(10));
        var abandoned = queue.RunAsync(() => computed = true, clientGone.Token);
        await clientGone.CancelAsync();
        release.Set();

        await running;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.False(computed);
    }
}
