using Npgsql;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>Small helpers for tests that talk to PostgreSQL directly.</summary>
public static class Sql
{
    public static async Task<List<string>> ListAsync(this NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i).ToString())));
        }

        return rows;
    }

    public static async Task<T> ScalarAsync<T>(this NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<int> ExecuteAsync(this NpgsqlDataSource db, string sql, params object[] parameters)
    {
        await using var command = db.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs <paramref name="sql"/> and returns the SQLSTATE it failed with.</summary>
    public static async Task<string> FailsWithAsync(this NpgsqlDataSource db, string sql, params object[] parameters)
    {
        var ex = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync(sql, parameters));
        return ex.SqlState;
    }

    /// <summary>
    /// Everything about the public schema that a migration decides (columns, constraints, indexes, functions,
    /// policies, triggers; not extensions' objects), one line each, sorted: two databases with equal
    /// fingerprints have the same schema.
    /// </summary>
    public static async Task<string> SchemaFingerprintAsync(this NpgsqlDataSource db) =>
        string.Join('\n', await db.ListAsync("""
            SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '')
                   || ' nullable=' || is_nullable || ' default=' || coalesce(column_default, '-')
              FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name IN (SELECT tablename FROM pg_tables WHERE schemaname = 'public')
            UNION ALL
            SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
            UNION ALL
            SELECT 'policy ' || polrelid::regclass || ' ' || polname FROM pg_policy
            UNION ALL
            SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
              FROM pg_constraint WHERE connamespace = 'public'::regnamespace
            UNION ALL
            SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
            UNION ALL
            SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
            UNION ALL
            SELECT 'migration ' || "MigrationId" FROM "__EFMigrationsHistory"
            ORDER BY 1
            """));

    /// <summary>A user row, for tests that need one; returns its id.</summary>
    public static Task<Guid> InsertUserAsync(this NpgsqlDataSource db, string? email = null) =>
        db.ScalarAsync<Guid>(
            "INSERT INTO users (email, password_hash, name) VALUES ($1, 'not-a-real-hash', 'Test User') RETURNING id",
            email ?? $"user-{Guid.NewGuid():N}@example.com");

    /// <summary>A workspace created by <paramref name="createdBy"/>; returns its id.</summary>
    public static async Task<string> InsertWorkspaceAsync(this NpgsqlDataSource db, Guid createdBy, string? id = null)
    {
        id ??= CrmToolkit.Data.WorkspaceId.New().Value;
        await db.ExecuteAsync("INSERT INTO workspaces (id, name, created_by) VALUES ($1, 'Test workspace', $2)", id, createdBy);
        return id;
    }
}
