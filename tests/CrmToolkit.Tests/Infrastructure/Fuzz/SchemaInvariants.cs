using Npgsql;

namespace CrmToolkit.Tests.Infrastructure.Fuzz;

/// <summary>
/// The schema's rules as queries that return the rows breaking them: the database's own constraints, and the
/// rules only the API keeps (trimmed, non-blank, single-line text; one owner at least; sessions only for
/// members). Scoped to rows written since <c>$1</c>, because other tests arrange deliberately odd rows as owner.
/// </summary>
public static class SchemaInvariants
{
    // [[:cntrl:]] in PostgreSQL's regex: the C0 controls and DEL. Multi-line text may hold tab, LF and CR.
    private const string SingleLineControl = @"'[\x01-\x1F\x7F]'";
    private const string MultiLineControl = @"'[\x01-\x08\x0B\x0C\x0E-\x1F\x7F]'";

    public static readonly IReadOnlyDictionary<string, string> Rules = new Dictionary<string, string>
    {
        ["users: email is one address, trimmed, without control characters"] = $"""
            SELECT id, email FROM users WHERE (created_at >= $1 OR updated_at >= $1)
               AND (email !~ '^[^@]+@[^@]+$' OR email <> btrim(email) OR email ~ {SingleLineControl} OR length(email) > 255)
            """,
        ["users: email unique ignoring case"] = """
            SELECT lower(email), count(*) FROM users GROUP BY lower(email) HAVING count(*) > 1
            """,
        ["users: name not blank, trimmed, single line, at most 255"] = $"""
            SELECT id, name FROM users WHERE (created_at >= $1 OR updated_at >= $1)
               AND (btrim(name) = '' OR name <> btrim(name) OR name ~ {SingleLineControl} OR length(name) > 255)
            """,
        ["users: password hash is a hash"] = """
            SELECT id FROM users WHERE created_at >= $1 AND password_hash !~ '^[A-Za-z0-9+/]{40,}={0,2}$'
            """,
        ["workspaces: id of 10-20 ASCII letters or digits"] = """
            SELECT id FROM workspaces WHERE created_at >= $1 AND (id COLLATE "C") !~ '^[A-Za-z0-9]{10,20}$'
            """,
        ["workspaces: name not blank, trimmed, single line, at most 255; description without stray controls"] = $"""
            SELECT id, name FROM workspaces WHERE (created_at >= $1 OR updated_at >= $1)
               AND (btrim(name) = '' OR name <> btrim(name) OR name ~ {SingleLineControl} OR length(name) > 255
                    OR description ~ {MultiLineControl} OR length(description) > 10000)
            """,
        ["workspaces: at least one owner"] = """
            SELECT w.id FROM workspaces w WHERE w.created_at >= $1
               AND NOT EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = w.id AND m.role = 'owner')
            """,
        ["workspaces: creator exists"] = """
            SELECT w.id FROM workspaces w LEFT JOIN users u ON u.id = w.created_by WHERE u.id IS NULL
            """,
        ["workspace_members: known role, existing user and workspace"] = """
            SELECT m.id, m.role FROM workspace_members m
              LEFT JOIN users u ON u.id = m.user_id LEFT JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.role NOT IN ('owner', 'admin', 'member') OR u.id IS NULL OR w.id IS NULL
            """,
        ["workspace_members: one row per user and workspace"] = """
            SELECT workspace_id, user_id FROM workspace_members GROUP BY workspace_id, user_id HAVING count(*) > 1
            """,
        ["sessions: a SHA-256 id, expiring after creation, within 30 days"] = """
            SELECT workspace_id, user_id FROM sessions WHERE created_at >= $1
               AND (id !~ '^[0-9a-f]{64}$' OR expires_at <= created_at OR expires_at > created_at + interval '30 days 1 minute')
            """,
        ["sessions: only for members of the session's workspace"] = """
            SELECT s.workspace_id, s.user_id FROM sessions s WHERE s.created_at >= $1
               AND NOT EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = s.workspace_id AND m.user_id = s.user_id)
            """,
        ["sessions, contacts: existing workspace and user"] = """
            SELECT 'session', s.workspace_id FROM sessions s
              LEFT JOIN workspaces w ON w.id = s.workspace_id LEFT JOIN users u ON u.id = s.user_id WHERE w.id IS NULL OR u.id IS NULL
            UNION ALL
            SELECT 'contact', c.workspace_id FROM contacts c
              LEFT JOIN workspaces w ON w.id = c.workspace_id LEFT JOIN users u ON u.id = c.created_by
             WHERE w.id IS NULL OR (c.created_by IS NOT NULL AND u.id IS NULL)
            """,
        ["contacts: first name not blank; fields trimmed, single line, within their lengths; email one address"] = $"""
            SELECT id, first_name FROM contacts WHERE (created_at >= $1 OR updated_at >= $1)
               AND (btrim(first_name) = '' OR first_name <> btrim(first_name) OR length(first_name) > 100
                    OR last_name = '' OR last_name <> btrim(last_name) OR length(last_name) > 100
                    OR email = '' OR email <> btrim(email) OR email !~ '^[^@]+@[^@]+$' OR length(email) > 255
                    OR phone = '' OR phone <> btrim(phone) OR length(phone) > 50
                    OR company = '' OR company <> btrim(company) OR length(company) > 255
                    OR concat(first_name, last_name, email, phone, company) ~ {SingleLineControl}
                    OR notes = '' OR notes ~ {MultiLineControl} OR length(notes) > 10000)
            """,
        ["login_failures: key is a trimmed email of at most 255"] = """
            SELECT id, account_key FROM login_failures WHERE failed_at >= $1
               AND (account_key <> btrim(account_key) OR length(account_key) > 255)
            """,
    };

    /// <summary>Each broken rule with (up to five of) its rows; empty when the data keeps every rule.</summary>
    public static async Task<List<string>> ViolationsAsync(NpgsqlDataSource database, DateTime since)
    {
        var violations = new List<string>();
        foreach (var (rule, sql) in Rules)
        {
            var rows = sql.Contains("$1", StringComparison.Ordinal) ? await database.ListAsync(sql, since) : await database.ListAsync(sql);
            if (rows.Count > 0)
            {
                violations.Add($"{rule}: {rows.Count} row(s), e.g. {string.Join(" / ", rows.Take(5).Select(r => Payload.Shorten(r)))}");
            }
        }

        return violations;
    }
}
