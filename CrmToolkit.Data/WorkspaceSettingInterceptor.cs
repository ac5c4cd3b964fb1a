using System.Data.Common;
using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace CrmToolkit.Data;

/// <summary>
/// Sets <c>crm.workspace_id</c> on every connection a workspace-bound <see cref="CrmDbContext"/> opens.
/// A context bound to no workspace sets nothing: Npgsql resets session state (<c>RESET ALL</c>) when a
/// connection goes back to its pool, so a lease never inherits the previous lease's workspace.
/// </summary>
public sealed class WorkspaceSettingInterceptor : DbConnectionInterceptor
{
    private const string Sql = $"SELECT set_config('{WorkspaceRowLevelSecurity.Setting}', $1, false)";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (eventData.Context is CrmDbContext { CurrentWorkspaceId: { } workspaceId })
        {
            using var command = CreateCommand(connection, workspaceId);
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is CrmDbContext { CurrentWorkspaceId: { } workspaceId })
        {
            await using var command = CreateCommand(connection, workspaceId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static DbCommand CreateCommand(DbConnection connection, WorkspaceId workspaceId)
    {
        var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.Value });
        return command;
    }
}
