using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Runs password hashes (a large fraction of a core each) off the request threads: a queue of bounded length served
/// by <see cref="PasswordHashingOptions.MaxConcurrent"/> dedicated threads at the lowest CPU priority. Requests that
/// need no hash (every authenticated one) therefore keep the CPU under a storm of logins, which wait in the queue or,
/// beyond it, get a 503 at once (<see cref="PasswordHashingBusyException"/>). With nothing else to do, the threads
/// hash at full speed.
/// </summary>
public sealed partial class PasswordHashingQueue : IDisposable
{
    private readonly BlockingCollection<Action> _work;
    private readonly Thread[] _threads;

    public PasswordHashingQueue(IOptions<PasswordHashingOptions> options)
    {
        _work = new BlockingCollection<Action>(options.Value.QueueLength ?? PasswordHashingOptions.QueuedPerThread * options.Value.MaxConcurrent);
        _threads = [.. Enumerable.Range(0, options.Value.MaxConcurrent).Select(_ => new Thread(Serve) { IsBackground = true, Name = "Password hashing" })];
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>Refuses at once, before a request does any other work, when the queue is full.</summary>
    public void ThrowIfFull()
    {
        if (_work.Count >= _work.BoundedCapacity)
        {
            throw new PasswordHashingBusyException();
        }
    }

    /// <summary>Queues <paramref name="hash"/>; its result, or a <see cref="PasswordHashingBusyException"/> when the queue is full.</summary>
    public Task<T> RunAsync<T>(Func<T> hash, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = _work.TryAdd(() =>
        {
            if (_work.IsAddingCompleted || cancellationToken.IsCancellationRequested)
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
        });
        return queued ? result.Task : Task.FromException<T>(new PasswordHashingBusyException());
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join(); // queued work sees IsAddingCompleted and is cancelled; at most the hashes in progress finish
        }

        _work.Dispose();
    }

    private void Serve()
    {
        LowerThisThreadsPriority();
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
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
