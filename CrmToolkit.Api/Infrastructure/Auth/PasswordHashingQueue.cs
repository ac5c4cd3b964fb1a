using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Runs password hashes (a large fraction of a core each) off the request threads, on
/// <see cref="PasswordHashingOptions.MaxConcurrent"/> dedicated threads at the lowest CPU priority, so requests that
/// need no hash (every authenticated one) keep the CPU under a storm of logins. Waiting hashes queue per client address.
/// An address with nothing waiting goes to the front line, served before the addresses that already have a line of
/// their own, which the threads serve one hash each in turn (round robin): a few addresses flooding login wait behind
/// each other, while a login from any other address is next but for the hashes already running. An address may queue
/// <see cref="PasswordHashingOptions.QueuedPerAddress"/> hashes and all together <see cref="PasswordHashingOptions.QueueLength"/>;
/// beyond either, a 503 at once (<see cref="PasswordHashingBusyException"/>). With nothing else to do, the threads
/// hash at full speed.
/// </summary>
public sealed partial class PasswordHashingQueue : IDisposable
{
    private readonly object _gate = new(); // Monitor.Wait and Pulse need an object lock
    private readonly Dictionary<string, Queue<Action>> _waiting = [];
    private readonly Queue<string> _fresh = new(); // addresses that had nothing waiting when their hash came: served first
    private readonly Queue<string> _turns = new(); // the other addresses with work waiting, in the order they are served
    private readonly int _capacity;
    private readonly int _perAddress;
    private readonly Thread[] _threads;
    private int _count;
    private bool _stopping;

    public PasswordHashingQueue(IOptions<PasswordHashingOptions> options)
    {
        _capacity = options.Value.QueueLength ?? PasswordHashingOptions.QueuedPerThread * options.Value.MaxConcurrent * PasswordHashingOptions.AddressesQueued;
        _perAddress = Math.Min(options.Value.QueuedPerAddress ?? PasswordHashingOptions.QueuedPerThread * options.Value.MaxConcurrent, _capacity);
        _threads = [.. Enumerable.Range(0, options.Value.MaxConcurrent).Select(_ => new Thread(Serve) { IsBackground = true, Name = "Password hashing" })];
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>Refuses at once, before a request does any other work, when the queue or the address's share of it is full.</summary>
    public void ThrowIfFull(string address)
    {
        lock (_gate)
        {
            if (IsFull(address))
            {
                throw new PasswordHashingBusyException();
            }
        }
    }

    /// <summary>Queues <paramref name="hash"/> for <paramref name="address"/>; its result, or a <see cref="PasswordHashingBusyException"/> when full.</summary>
    public Task<T> RunAsync<T>(string address, Func<T> hash, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Work()
        {
            if (_stopping || cancellationToken.IsCancellationRequested)
            {
                result.TrySetCanceled(cancellationToken); // the client or the host is going: spend nothing on it
                return;
            }

            try
            {
                result.TrySetResult(hash());
            }
            catch (Exception ex)
            {
                result.TrySetException(ex);
            }
        }

        lock (_gate)
        {
            if (_stopping || IsFull(address))
            {
                return Task.FromException<T>(new PasswordHashingBusyException());
            }

            if (!_waiting.TryGetValue(address, out var queue))
            {
                _waiting[address] = queue = new Queue<Action>();
                _fresh.Enqueue(address);
            }

            queue.Enqueue(Work);
            _count++;
            Monitor.Pulse(_gate);
        }

        return result.Task;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        foreach (var thread in _threads)
        {
            thread.Join(); // queued work sees _stopping and is cancelled; at most the hashes in progress finish
        }
    }

    private bool IsFull(string address) =>
        _count >= _capacity || (_waiting.TryGetValue(address, out var queue) && queue.Count >= _perAddress);

    private void Serve()
    {
        LowerThisThreadsPriority();
        while (Next() is { } work)
        {
            work();
        }
    }

    // The next address's oldest hash (fresh addresses first), which then goes to the back of the round robin if it has
    // more; null once stopping and empty.
    private Action? Next()
    {
        lock (_gate)
        {
            while (_count == 0)
            {
                if (_stopping)
                {
                    return null;
                }

                Monitor.Wait(_gate);
            }

            var address = _fresh.Count > 0 ? _fresh.Dequeue() : _turns.Dequeue();
            var queue = _waiting[address];
            var work = queue.Dequeue();
            _count--;
            if (queue.Count > 0)
            {
                _turns.Enqueue(address);
            }
            else
            {
                _waiting.Remove(address);
            }

            return work;
        }
    }

    // .NET's Thread.Priority has no effect on Linux; the thread's nice value does, and raising it needs no privilege.
    private static void LowerThisThreadsPriority()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SetPriority(PrioProcess, GetThreadId(), LowestPriority);
        }
    }

    private const int PrioProcess = 0;
    private const int LowestPriority = 19;

    [LibraryImport("libc", EntryPoint = "setpriority")]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
