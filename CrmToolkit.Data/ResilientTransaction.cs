using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data;

/// <summary>
/// One way to write a multi-statement change (eShop's <c>ResilientTransaction</c>): the execution strategy, a
/// transaction, the work, the commit. A transient failure runs the whole attempt again on a clean change tracker, so the
/// work must be safe to repeat from its start.
/// </summary>
/// <remarks>
/// When the context already has a transaction, the work simply runs in it: whoever opened that transaction (inside
/// its own <c>ExecuteAsync</c>, as EF's retrying strategy requires) owns the retries and the commit. A nested
/// <c>ExecuteAsync</c> would be allowed there too (EF suspends the strategy inside an operation), but it would neither
/// retry nor own the transaction, so this is what it would amount to anyway. That is how a create runs inside the
/// transaction of an <c>Idempotency-Key</c>, which records the key with the create.
/// </remarks>
public sealed class ResilientTransaction
{
    private readonly DbContext _context;

    private ResilientTransaction(DbContext context) => _context = context;

    public static ResilientTransaction New(DbContext context) => new(context);

    /// <summary>Runs <paramref name="work"/> in a transaction and commits it.</summary>
    public Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        ExecuteAsync(work, static _ => true, cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction, and commits it only when <paramref name="commit"/> says so of the
    /// result (otherwise it rolls back). In a transaction someone else opened, the result decides nothing.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> work, Func<T, bool> commit, CancellationToken cancellationToken)
    {
        if (_context.Database.CurrentTransaction is not null)
        {
            return await work(cancellationToken);
        }

        return await _context.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            _context.ChangeTracker.Clear(); // a failed attempt's entities must not be saved again
            // An attempt fails and is retried as a whole, so the savepoint EF puts around each SaveChanges in a transaction
            // buys nothing, and costs a correct retry: EF ignores a failure to release it, so a connection that broke
            // there would surface only at the next command, as a "completed transaction" that no strategy retries.
            var savepoints = _context.Database.AutoSavepointsEnabled;
            _context.Database.AutoSavepointsEnabled = false;
            try
            {
                await using var transaction = await _context.Database.BeginTransactionAsync(ct);
                var result = await work(ct);
                if (commit(result))
                {
                    await transaction.CommitAsync(ct);
                }

                return result;
            }
            finally
            {
                _context.Database.AutoSavepointsEnabled = savepoints;
            }
        }, cancellationToken);
    }
}
