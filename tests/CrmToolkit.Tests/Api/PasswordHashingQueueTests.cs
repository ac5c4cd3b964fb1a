using CrmToolkit.Api.Infrastructure.Auth;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Tests.Api;

public sealed class PasswordHashingQueueTests
{
    private static PasswordHashingQueue Queue(int queueLength, int perAddress = 8) =>
        new(Options.Create(new PasswordHashingOptions { MaxConcurrent = 1, QueueLength = queueLength, QueuedPerAddress = perAddress }));

    [Fact]
    public async Task FloodingAddressesTakeTurnsSoAnotherAddressIsServedWithinOneHashOfEach()
    {
        using var queue = Queue(64, perAddress: 8);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();

        var running = queue.RunAsync("flood-1", () => { started.Set(); release.Wait(); return 0; }, default);
        started.Wait(TimeSpan.FromSeconds(10));
        var flood = new List<Task<int>>();
        foreach (var address in new[] { "flood-1", "flood-2", "flood-3" })
        {
            for (var i = 0; i < 8; i++)
            {
                flood.Add(queue.RunAsync(address, () => { order.Enqueue(address); return 0; }, default));
            }
        }

        // An address's share is full: it is refused, while another address is still let in.
        Assert.Throws<PasswordHashingBusyException>(() => queue.ThrowIfFull("flood-1"));
        var victim = queue.RunAsync("victim", () => { order.Enqueue("victim"); return 0; }, default);
        release.Set();
        await Task.WhenAll([running, victim, .. flood]);

        // The victim came after one hash of each flooding address at the most, not after all 24.
        Assert.InRange(order.ToList().IndexOf("victim"), 0, 3);
    }

    [Fact]
    public async Task HashesRunOnAThreadOfTheLowestCpuPriority()
    {
        using var queue = Queue(1);

        // /proc/thread-self/stat: the 19th field is the thread's nice value; the name (field 2) may contain spaces.
        var stat = await queue.RunAsync("a", () => File.ReadAllText("/proc/thread-self/stat"), default);
        var nice = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19 - 3];

        Assert.Equal("19", nice);
    }

    [Fact]
    public async Task BeyondTheQueueRequestsAreRefusedAtOnceAndTheQueuedOnesStillComplete()
    {
        using var queue = Queue(1);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();

        var running = queue.RunAsync("a", () => { started.Set(); release.Wait(); return 1; }, default);
        started.Wait(TimeSpan.FromSeconds(10));
        var waiting = queue.RunAsync("a", () => 2, default);

        Assert.Throws<PasswordHashingBusyException>(() => queue.ThrowIfFull("b"));
        await Assert.ThrowsAsync<PasswordHashingBusyException>(() => queue.RunAsync("b", () => 3, default));

        release.Set();
        Assert.Equal(1, await running);
        Assert.Equal(2, await waiting);
        queue.ThrowIfFull("b"); // room again
    }

    [Fact]
    public async Task AHashWhoseClientLeftWhileQueuedIsNeverComputed()
    {
        using var queue = Queue(1);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        using var clientGone = new CancellationTokenSource();
        var computed = false;

        var running = queue.RunAsync("a", () => { started.Set(); release.Wait(); return 1; }, default);
        started.Wait(TimeSpan.FromSeconds(10));
        var abandoned = queue.RunAsync("a", () => computed = true, clientGone.Token);
        await clientGone.CancelAsync();
        release.Set();

        await running;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.False(computed);
    }
}
