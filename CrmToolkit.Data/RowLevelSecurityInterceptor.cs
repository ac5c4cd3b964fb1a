using System.Data;
using System.Data.Common;
using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace CrmToolkit.Data;

/// <summary>
/// Sends the context's workspace and user to PostgreSQL's row-level security with every command of a bound
/// <see cref="CrmDbContext"/>: one <c>set_config(..., true)</c> statement ahead of the command's own, in the same
/// batch. PostgreSQL runs a batch in one transaction (the implicit one, or the caller's), so the settings hold for
/// exactly that work and never outlive it: isolation does not depend on the pool resetting connections
/// (<c>No Reset On Close</c>, or a transaction-pooling PgBouncer in between), and costs no extra round trip.
/// </summary>
/// <remarks>
/// <para>
/// On Citus (<see cref="CrmDataOptions.Citus"/>) the settings must reach the workers' backends too, and Citus passes on
/// only <c>SET LOCAL</c> commands of an explicit transaction block. So a command outside a transaction is sent as
/// <c>BEGIN; SET LOCAL ...; SET LOCAL ...; command; COMMIT</c>: still one round trip. <c>SET</c>
/// takes no parameters, so the values are written into the text; both are safe there by construction (a
/// <see cref="WorkspaceId"/> is ASCII letters and digits, a user id a <see cref="Guid"/>). A failed command leaves the
/// block aborted, and Npgsql rolls it back when the connection goes back to its pool. A transaction gets the settings
/// once, as it starts (<see cref="CitusTransactionSettings"/>), and SaveChanges always runs in one.
/// </para>
/// <para>
/// A command bound to nothing is sent as it is, so the settings read as empty and every workspace table as empty.
/// Commands sent on <c>Database.GetDbConnection()</c> directly bypass EF, and so this interceptor.
/// </para>
/// </remarks>
public sealed class RowLevelSecurityInterceptor(bool citus) : DbCommandInterceptor
{
    private const string Settings =
        $"SELECT set_config('{WorkspaceRowLevelSecurity.WorkspaceSetting}', @crm_workspace_id, true), " +
        $"set_config('{WorkspaceRowLevelSecurity.UserSetting}', @crm_user_id, true);\n";

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Prepend(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Prepend(command, eventData);
        return ValueTask.FromResult(result);
    }

    // EF reads the command's own results: step past the settings' row first.
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        if (IsPrepended(command))
        {
            result.NextResult();
        }

        return result;
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (IsPrepended(command))
        {
            await result.NextResultAsync(cancellationToken);
        }

        return result;
    }

    // A SELECT adds nothing to the rows affected that Npgsql reports, so a non-query needs no more than the prefix.
    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Prepend(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Prepend(command, eventData);
        return ValueTask.FromResult(result);
    }

    // A scalar would be the settings' own value: run the command as a reader and answer with its first value instead.
    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        if (!Prepend(command, eventData))
        {
            return result;
        }

        using var reader = command.ExecuteReader();
        reader.NextResult();
        return InterceptionResult<object>.SuppressWithResult(reader.Read() ? reader.GetValue(0) : null!);
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        if (!Prepend(command, eventData))
        {
            return result;
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        return InterceptionResult<object>.SuppressWithResult(await reader.ReadAsync(cancellationToken) ? reader.GetValue(0) : null!);
    }

    private bool Prepend(DbCommand command, CommandEventData eventData)
    {
        if (eventData.Context is not CrmDbContext { IsBound: true } context || command.CommandType != CommandType.Text)
        {
            return false;
        }

        if (citus)
        {
            // In a transaction, its start sent the settings (CitusTransactionSettings); alone, the command gets its own.
            if (command.Transaction is null)
            {
                command.CommandText = $"BEGIN;\n{CitusSettings(context)}{command.CommandText.TrimEnd().TrimEnd(';')};\nCOMMIT;";
            }

            // SET and BEGIN return no rows, so the command's results are the reader's first.
            return false;
        }

        command.CommandText = Settings + command.CommandText;
        command.Parameters.Add(new NpgsqlParameter("crm_workspace_id", context.CurrentWorkspaceId?.Value ?? ""));
        command.Parameters.Add(new NpgsqlParameter("crm_user_id", context.CurrentUserId?.ToString() ?? ""));
        return true;
    }

    internal static string CitusSettings(CrmDbContext context) =>
        $"SET LOCAL {WorkspaceRowLevelSecurity.WorkspaceSetting} = '{context.CurrentWorkspaceId?.Value}';\n" +
        $"SET LOCAL {WorkspaceRowLevelSecurity.UserSetting} = '{context.CurrentUserId}';\n";

    private static bool IsPrepended(DbCommand command) => command.CommandText.StartsWith(Settings, StringComparison.Ordinal);
}
