using CrmToolkit.Data.Configurations;
using Npgsql;

namespace CrmToolkit.Data;

/// <summary>
/// The session lookup every authenticated request starts with: one prepared statement on the process's
/// <see cref="NpgsqlDataSource"/>, calling the <c>SECURITY DEFINER</c> function <c>crm_session</c> (see
/// <see cref="CrossWorkspace"/>), within the one workspace the token names.
/// </summary>
/// <remarks>
/// It is the one query that runs on every request, so it is plain Npgsql rather than a leased
/// <see cref="CrmDbContext"/>: no context lease and reset, no EF connection, interceptor and diagnostics
/// pipeline, no materializer. The function lifts row-level security itself, so the connection needs no workspace.
/// A transient failure (a dropped connection, a restart) is retried like EF's queries are, with the same
/// <see cref="CrmDataSettings.MaxRetryCount"/> and <see cref="CrmDataSettings.MaxRetryDelay"/>.
/// </remarks>
public sealed class SessionLookup(NpgsqlDataSource dataSource, CrmDataSettings settings)
{
    /// <summary>The statement <see cref="FindAsync"/> sends (bench/ sends the same text).</summary>
    public const string Sql = """
        SELECT session_id, session_created_at, expires_at, role, joined_at, user_id, email, name,
               user_created_at, user_updated_at, workspace_id, workspace_name, description, created_by,
               workspace_created_at, workspace_updated_at
          FROM crm_session($1, $2)
        """;

    /// <summary>The session with this id in this workspace; <c>null</c> when unknown or its membership is gone.</summary>
    /// <remarks>One async method, retries included: it runs on every request, and each nested await that suspends costs a state machine.</remarks>
    public async Task<SessionInfo?> FindAsync(WorkspaceId workspaceId, string sessionId, CancellationToken cancellationToken)
    {
        for (var retry = 0; ; retry++)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var command = new NpgsqlCommand(Sql, connection);
                command.Parameters.Add(new NpgsqlParameter { Value = workspaceId.Value });
                command.Parameters.Add(new NpgsqlParameter { Value = sessionId });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && retry < settings.MaxRetryCount && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(RetryDelay(retry), cancellationToken);
            }
        }
    }

    // EF's exponential back-off: about 1, 3, 7 ... seconds plus up to 10 % jitter, never above MaxRetryDelay.
    private TimeSpan RetryDelay(int retry) =>
        TimeSpan.FromSeconds(Math.Min(
            (Math.Pow(2, retry + 1) - 1) * (1 + Random.Shared.NextDouble() * 0.1),
            settings.MaxRetryDelay.TotalSeconds));

    private static SessionInfo Read(NpgsqlDataReader reader) =>
        new(
            reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
            RoleNames.FromDatabase(reader.GetString(3)), reader.GetFieldValue<DateTimeOffset>(4),
            new UserInfo(reader.GetGuid(5), reader.GetString(6), reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8), reader.GetFieldValue<DateTimeOffset>(9)),
            CrossWorkspace.Workspace(reader.GetString(10), reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.GetGuid(13), reader.GetFieldValue<DateTimeOffset>(14), reader.GetFieldValue<DateTimeOffset>(15)));
}
