using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

// Baseline "R": the database round trips of S1 (GET /api/me) and S2 (GET contacts page) with raw Npgsql, behind
// the same Kestrel, as the application role under row-level security, with the same auth work (hash the bearer
// secret, crm_session) and the same SQL text the API sends (see Sql). What the API costs beyond that is EF Core
// and its pipeline. Also: --pgbench-scripts DIR TOKENS N and --explain CONNECTION TOKENS, for bench/run.sh.
if (args.Length > 0 && args[0] == "--pgbench-scripts")
{
    Tools.WritePgbenchScripts(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture));
    return;
}

if (args.Length > 0 && args[0] == "--explain")
{
    await Tools.ExplainAsync(args[1], args[2]);
    return;
}

var builder = WebApplication.CreateBuilder(args);
var connectionString = new NpgsqlConnectionStringBuilder(builder.Configuration.GetConnectionString("crm"))
{
    // As the API's AddCrmData: automatic preparation, bounded waits; pool size from the same setting.
    MaxAutoPrepare = builder.Configuration.GetValue("Crm:Data:MaxAutoPrepare", 64),
    Timeout = 5,
    Options = "-c statement_timeout=30000",
};
if (builder.Configuration.GetValue<int?>("Crm:Data:MaxPoolSize") is { } maxPoolSize)
{
    connectionString.MaxPoolSize = maxPoolSize;
}

var dataSource = NpgsqlDataSource.Create(connectionString);
var app = builder.Build();

app.MapGet("/health", () => "Healthy");

app.MapGet("/api/me", async (HttpContext http) =>
{
    var session = await Sql.AuthenticateAsync(dataSource, http);
    return session is null
        ? Results.Unauthorized()
        : Results.Ok(new
        {
            user = new { id = session.UserId, email = session.Email, name = session.Name, createdAt = session.UserCreatedAt, updatedAt = session.UserUpdatedAt },
            workspace = session.Workspace,
            role = session.Role,
            session = new { expiresAt = session.ExpiresAt },
        });
});

app.MapGet("/api/workspaces/{workspaceId}/contacts", async (string workspaceId, int? limit, HttpContext http) =>
{
    var session = await Sql.AuthenticateAsync(dataSource, http);
    if (session is null)
    {
        return Results.Unauthorized();
    }

    if (session.Workspace.Id != workspaceId)
    {
        return Results.NotFound();
    }

    var size = limit ?? 50;
    var rows = await Sql.PageAsync(dataSource, workspaceId, session.UserId, size + 1, http.RequestAborted);
    string? next = null;
    if (rows.Count > size)
    {
        var last = rows[size - 1];
        next = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { last.LastName, last.FirstName, last.Id }));
        rows.RemoveAt(size);
    }

    return Results.Ok(new { items = rows, next });
});

app.Run();

internal sealed record WorkspaceRow(string Id, string Name, string? Description, Guid CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record SessionRow(
    string Id, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string Role, DateTimeOffset JoinedAt,
    Guid UserId, string Email, string Name, DateTimeOffset UserCreatedAt, DateTimeOffset UserUpdatedAt, WorkspaceRow Workspace);

internal sealed record ContactRow(
    Guid Id, string FirstName, string? LastName, string? Email, string? Phone, string? Company, string? Notes,
    Guid? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal static class Sql
{
    // The statements as the API sends them (the page query copied from pg_stat_statements; bench/run.sh lists
    // the statements PostgreSQL saw, so a difference would show as an extra entry).
    // What EF Core sends for CrossWorkspace.FindSessionAsync (crm_session as a table-valued function).
    public const string Session = """
        SELECT c.created_by, c.description, c.email, c.expires_at, c.joined_at, c.name, c.role, c.session_created_at, c.session_id, c.user_created_at, c.user_id, c.user_updated_at, c.workspace_created_at, c.workspace_id, c.workspace_name, c.workspace_updated_at
        FROM crm_session($1, $2) AS c
        LIMIT $3
        """;

    // The settings the API sends ahead of every command of a bound context, in the same batch (RowLevelSecurityInterceptor).
    public const string SetWorkspace = "SELECT set_config('crm.workspace_id', $1, true), set_config('crm.user_id', $2, true)";

    public const string Page = """
        SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.company, c.notes, c.created_by, c.created_at, c.updated_at
        FROM contacts AS c
        WHERE c.workspace_id = $1
        ORDER BY c.last_name, c.first_name, c.id
        LIMIT $2
        """;

    public static async Task<SessionRow?> AuthenticateAsync(NpgsqlDataSource dataSource, HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot < 10 || token.Length - dot - 1 != 43 || !Base64Url.IsValid(token.AsSpan(dot + 1), out var length) || length != 32)
        {
            return null;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token[(dot + 1)..])));
        SessionRow? row = null;
        await using (var connection = await dataSource.OpenConnectionAsync(http.RequestAborted))
        await using (var command = new NpgsqlCommand(Session, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = token[..dot] });
            command.Parameters.Add(new NpgsqlParameter { Value = hash });
            command.Parameters.Add(new NpgsqlParameter { Value = 1 });
            await using var reader = await command.ExecuteReaderAsync(http.RequestAborted);
            if (await reader.ReadAsync(http.RequestAborted))
            {
                row = new SessionRow(
                    reader.GetString(8), reader.GetFieldValue<DateTimeOffset>(7), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(6),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetGuid(10), reader.GetString(2), reader.GetString(5),
                    reader.GetFieldValue<DateTimeOffset>(9), reader.GetFieldValue<DateTimeOffset>(11),
                    new WorkspaceRow(reader.GetString(13), reader.GetString(14), reader.IsDBNull(1) ? null : reader.GetString(1),
                        reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(12), reader.GetFieldValue<DateTimeOffset>(15)));
            }
        }

        var now = DateTimeOffset.UtcNow;
        return row is null || now >= row.ExpiresAt || now >= row.CreatedAt.AddDays(30) ? null : row;
    }

    public static async Task<List<ContactRow>> PageAsync(NpgsqlDataSource dataSource, string workspaceId, Guid userId, int take, CancellationToken cancellationToken)
    {
        var rows = new List<ContactRow>(take);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One round trip, one implicit transaction: the transaction-local settings hold for the page and no longer.
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(SetWorkspace) { Parameters = { new() { Value = workspaceId }, new() { Value = userId.ToString() } } },
                // Typed as EF types them (workspace_id is varchar(20)), so that PostgreSQL sees the same statement.
                new NpgsqlBatchCommand(Page)
                {
                    Parameters =
                    {
                        new() { Value = workspaceId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar },
                        new() { Value = take, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer },
                    },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ContactRow(
                reader.GetGuid(0), reader.GetString(1), NullableString(reader, 2), NullableString(reader, 3), NullableString(reader, 4),
                NullableString(reader, 5), NullableString(reader, 6), reader.IsDBNull(7) ? null : reader.GetGuid(7),
                reader.GetFieldValue<DateTimeOffset>(8), reader.GetFieldValue<DateTimeOffset>(9)));
        }

        return rows;
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

internal static class Tools
{
    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static (string Workspace, string Hash) Parse(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        return (token[..dot], Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token[(dot + 1)..]))));
    }

    private static string Bind(string sql, params string[] values)
    {
        for (var i = values.Length; i >= 1; i--)
        {
            sql = sql.Replace($"${i}", values[i - 1], StringComparison.Ordinal);
        }

        return sql + ";";
    }

    /// <summary>One pgbench script per session (of the first <paramref name="count"/> tokens, spread evenly): S1 and S2's statements.</summary>
    public static void WritePgbenchScripts(string prefix, string tokensFile, int count)
    {
        var tokens = File.ReadAllLines(tokensFile).Where(t => t.Length > 0).ToArray();
        Directory.CreateDirectory(prefix + "-s1");
        Directory.CreateDirectory(prefix + "-s2");
        for (var i = 0; i < count; i++)
        {
            var (workspace, hash) = Parse(tokens[(int)((long)i * tokens.Length / count)]);
            var session = Bind(Sql.Session, Literal(workspace), Literal(hash), "1");
            File.WriteAllText(Path.Combine(prefix + "-s1", $"{i:D3}.sql"), session + "\n");
            // The settings and the page in one pipeline, so one Sync and one implicit transaction, as the API sends them.
            File.WriteAllText(Path.Combine(prefix + "-s2", $"{i:D3}.sql"),
                $"{session}\n\\startpipeline\n{Bind(Sql.SetWorkspace, Literal(workspace), "''")}\n{Bind(Sql.Page, Literal(workspace), "21")}\n\\endpipeline\n");
        }
    }

    /// <summary>EXPLAIN (ANALYZE, BUFFERS) of the S2 page query for a few sessions, as the application role.</summary>
    public static async Task ExplainAsync(string connectionString, string tokensFile)
    {
        var tokens = File.ReadAllLines(tokensFile).Where(t => t.Length > 0).ToArray();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var token in new[] { tokens[0], tokens[tokens.Length / 2], tokens[^1] })
        {
            var (workspace, _) = Parse(token);
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var set = new NpgsqlCommand(Sql.SetWorkspace, connection))
            {
                set.Parameters.Add(new NpgsqlParameter { Value = workspace });
                set.Parameters.Add(new NpgsqlParameter { Value = "" });
                await set.ExecuteNonQueryAsync();
            }

            await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS) " + Sql.Page, connection);
            explain.Parameters.Add(new NpgsqlParameter { Value = workspace, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            explain.Parameters.Add(new NpgsqlParameter { Value = 21 });
            await using var reader = await explain.ExecuteReaderAsync();
            Console.WriteLine($"-- workspace {workspace}");
            while (await reader.ReadAsync())
            {
                Console.WriteLine(reader.GetString(0));
            }
        }
    }
}
