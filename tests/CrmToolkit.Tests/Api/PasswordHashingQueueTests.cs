using CrmToolkit.Api.Infrastructure.Auth;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Tests.Api;

public sealed class PasswordHashingQueueTests
{
    private static PasswordHashingQueue Queue(int queueLength, int perAddress = 8) =>
        new(Options.Create(new PasswordHashingOptions { MaxConcurrent = 1, QueueLength = queueLength, QueuedPerAddress = perAddress }));

    [Fact]
    public async Task FloodingAddressesTakeTurnsAndAnAddressWithNothingWaitingIsServedNext()
    {
        using var queue = Queue(64, perAddress: 8);
        using var step = new SemaphoreSlim(0);
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();

        // Each hash records its address, then waits for the test's step: the test sees the queue between hashes.
        int Hash(string address)
        {
            order.Enqueue(address);
            step.Wait(TimeSpan.FromSeconds(10));
            return 0;
        }

        async Task StartedAsync(int count)
        {
            for (var waited = 0; order.Count < count && waited < 1000; waited++)
            {
                await Task.Delay(10);
            }

            Assert.Equal(count, order.Count);
        }

        // A hash of another address runs first, so that every flooding hash below is queued before any is served.
        var busy = queue.RunAsync("busy", () => Hash("busy"), default);
        await StartedAsync(1);
        var flood = new List<Task<int>>();
        foreach (var address in new[] { "flood-1", "flood-2", "flood-3" })
        {
            for (var i = 0; i < 8; i++)
            {
                flood.Add(queue.RunAsync(address, () => Hash(address), default));
            }
        }

        // An address's share is full: it is refused, while another address is still let in.
        Assert.Throws<PasswordHashingBusyException>(() => queue.ThrowIfFull("flood-1"));
        queue.ThrowIfFull("victim");

        // The flooders take turns, one hash each.
        for (var started = 2; started <= 4; started++)
        {
            step.Release();
            await StartedAsync(started);
        }

        Assert.Equal(["busy", "flood-1", "flood-2", "flood-3"], order.ToArray());

        // A login from an address with nothing waiting is next, ahead of the 21 flooding hashes still waiting.
        var victim = queue.RunAsync("victim", () => Hash("victim"), default);
        step.Release();
        await StartedAsync(5);
        Assert.Equal("victim", order.ToArray()[4]);

        step.Release(100);
        await Task.WhenAll([busy, victim, .. flood]);
        Assert.Equal(["flood-1", "flood-2", "flood-3"], order.Skip(5).Take(3).ToArray());
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
