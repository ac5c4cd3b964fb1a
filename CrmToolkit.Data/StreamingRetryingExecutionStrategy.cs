using System.Transactions;
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
/// </remarks>
public sealed class StreamingRetryingExecutionStrategy(ExecutionStrategyDependencies dependencies, int maxRetryCount, TimeSpan maxRetryDelay)
    : NpgsqlRetryingExecutionStrategy(dependencies, maxRetryCount, maxRetryDelay, errorCodesToAdd: null)
{
    public override bool RetriesOnFailure => false;

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
