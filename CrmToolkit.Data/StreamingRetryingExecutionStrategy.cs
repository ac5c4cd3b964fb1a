using System.Transactions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql.EntityFrameworkCore.PostgreSQL;

namespace CrmToolkit.Data;

/// <summary>
/// Npgsql's retrying strategy (same transient errors, same back-off), minus EF's buffering of every query result.
/// </summary>
/// <remarks>
/// <para>
/// EF reads <see cref="ExecutionStrategy.RetriesOnFailure"/> when it compiles a query: when true, every result
/// set is read into memory inside the strategy before the first row reaches the caller, so that a failure half-way
/// through can replay the whole query. That costs a copy of every row and a type lookup per column on every
/// execution: without it, the contacts page of bench/ serves 3 to 7 % more requests a second.
/// </para>
/// <para>
/// This strategy reports <c>false</c> there, and still retries everything it wraps. What it gives up is the replay
/// of a result set that fails after its first rows have arrived: that is the caller's error (a 503). Everything
/// else is as before: sending a query or a save is retried, and so is a whole unit of work run through
/// <c>Database.CreateExecutionStrategy().ExecuteAsync(...)</c> (reads in it included).
/// </para>
/// <para>
/// Because EF then skips its own check, <see cref="OnFirstExecution"/> keeps its rule: a transaction begun
/// outside the strategy is refused, since a retry could not replay the statements before it.
/// </para>
/// <para>
/// The first attempt runs in one async method of its own (<see cref="ExecuteAsync{TState, TResult}"/>): EF's
/// runs every attempt three async calls deep (the entry, a wrapper of the result and the retry loop), and every
/// query pays for them while it waits on the database. A failed first attempt is handed to EF's own loop, which
/// meets that failure again as its first attempt and decides from there exactly as it always does (verify,
/// transient or not, back-off, the retry limit), so that nothing about retrying is re-implemented here. EF's
/// entry runs <see cref="OnFirstExecution"/> once more on that path: its transaction check then holds for the
/// retries too, where EF's own loop would have found a leftover transaction only when the retry began another.
/// </para>
/// </remarks>
public sealed class StreamingRetryingExecutionStrategy(ExecutionStrategyDependencies dependencies, int maxRetryCount, TimeSpan maxRetryDelay)
    : NpgsqlRetryingExecutionStrategy(dependencies, maxRetryCount, maxRetryDelay, errorCodesToAdd: null)
{
    public override bool RetriesOnFailure => false;

    public override Task<TResult> ExecuteAsync<TState, TResult>(
        TState state,
        Func<DbContext, TState, CancellationToken, Task<TResult>> operation,
        Func<DbContext, TState, CancellationToken, Task<ExecutionResult<TResult>>>? verifySucceeded,
        CancellationToken cancellationToken = default)
        // Nested in an operation of this strategy: the outer one retries it (as EF does, minus an await).
        => Current is not null
            ? operation(Dependencies.CurrentContext.Context, state, cancellationToken)
            : FirstAttemptAsync(state, operation, verifySucceeded, cancellationToken);

    private async Task<TResult> FirstAttemptAsync<TState, TResult>(
        TState state,
        Func<DbContext, TState, CancellationToken, Task<TResult>> operation,
        Func<DbContext, TState, CancellationToken, Task<ExecutionResult<TResult>>>? verifySucceeded,
        CancellationToken cancellationToken)
    {
        OnFirstExecution();
        cancellationToken.ThrowIfCancellationRequested();
        Exception failure;
        try
        {
            Current = this;
            var result = await operation(Dependencies.CurrentContext.Context, state, cancellationToken);
            Current = null;
            return result;
        }
        catch (Exception exception)
        {
            Current = null;
            failure = exception;
        }

        var replayed = false;
        return await base.ExecuteAsync(
            state,
            (context, state, cancellationToken) =>
            {
                if (replayed)
                {
                    return operation(context, state, cancellationToken);
                }

                replayed = true;
                return Task.FromException<TResult>(failure);
            },
            verifySucceeded,
            cancellationToken);
    }

    protected override void OnFirstExecution()
    {
        var database = Dependencies.CurrentContext.Context.Database;
        if (database.CurrentTransaction is not null || database.GetEnlistedTransaction() is not null || Transaction.Current is not null)
        {
            throw new InvalidOperationException(
                $"The configured execution strategy '{nameof(StreamingRetryingExecutionStrategy)}' does not support user-initiated transactions. " +
                "Use the execution strategy returned by 'DbContext.Database.CreateExecutionStrategy()' to execute all the operations " +
                "in the transaction as a retriable unit.");
        }

        base.OnFirstExecution();
    }
}
