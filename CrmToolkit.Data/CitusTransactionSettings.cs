using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace CrmToolkit.Data;

/// <summary>
/// On Citus, the workspace and user of every transaction a bound <see cref="CrmDbContext"/> starts, sent as its first
/// statements (<c>SET LOCAL</c>, which Citus passes on to the workers): they hold for every command of it. SaveChanges
/// always runs in such a transaction: the Npgsql provider checks each statement of its batch by position, so settings
/// cannot go ahead of them in the batch as they do for a command alone (<see cref="RowLevelSecurityInterceptor"/>). That
/// costs a write one more round trip on Citus.
/// </summary>
internal sealed class CitusTransactionSettings : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        AlwaysInTransaction(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        AlwaysInTransaction(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        if (eventData.Context is CrmDbContext { IsBound: true } context)
        {
            using var command = Settings(connection, context, result);
            command.ExecuteNonQuery();
        }

        return result;
    }

    public async ValueTask<DbTransaction> TransactionStartedAsync(
        DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is CrmDbContext { IsBound: true } context)
        {
            await using var command = Settings(connection, context, result);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return result;
    }

    private static void AlwaysInTransaction(DbContext? context)
    {
        if (context is not null)
        {
            context.Database.AutoTransactionBehavior = AutoTransactionBehavior.Always;
        }
    }

    // Sent on the connection, not through EF, so that no interceptor sees it.
    private static DbCommand Settings(DbConnection connection, CrmDbContext context, DbTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = RowLevelSecurityInterceptor.CitusSettings(context);
        return command;
    }
}
