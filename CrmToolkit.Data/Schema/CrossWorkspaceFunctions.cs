using Microsoft.EntityFrameworkCore.Migrations;

namespace CrmToolkit.Data.Schema;

/// <summary>
/// The only ways across workspaces, as <c>SECURITY DEFINER</c> functions, each keyed on what its caller
/// already proves: the session lookup and "end this session" need the token's hash, the membership list
/// needs a user id the API has just authenticated, the purge touches only expired rows. They run as the
/// migration owner (superuser or BYPASSRLS), never return a password hash, and are all the application
/// role can do across workspaces. See <see cref="CrossWorkspace"/>.
/// </summary>
public static class CrossWorkspaceFunctions
{
    /// <summary>Version 1 (migration RowLevelSecurity): sessions found by token hash alone.</summary>
    public static void CreateCrossWorkspaceFunctionsV1(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            CREATE OR REPLACE FUNCTION crm_session(p_session_id text)
            RETURNS TABLE (
                session_id varchar, session_created_at timestamptz, expires_at timestamptz, role varchar, joined_at timestamptz,
                user_id uuid, email varchar, name varchar, user_created_at timestamptz, user_updated_at timestamptz,
                workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                workspace_created_at timestamptz, workspace_updated_at timestamptz)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
                SELECT s.id, s.created_at, s.expires_at, m.role, m.joined_at,
                       u.id, u.email, u.name, u.created_at, u.updated_at,
                       w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at
                  FROM sessions s
                  JOIN workspace_members m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
                  JOIN users u ON u.id = s.user_id
                  JOIN workspaces w ON w.id = s.workspace_id
                 WHERE s.id = p_session_id
            $$;

            CREATE OR REPLACE FUNCTION crm_memberships(p_user_id uuid)
            RETURNS TABLE (
                workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                workspace_created_at timestamptz, workspace_updated_at timestamptz, role varchar, joined_at timestamptz)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
                SELECT w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at, m.role, m.joined_at
                  FROM workspace_members m
                  JOIN workspaces w ON w.id = m.workspace_id
                 WHERE m.user_id = p_user_id
                 ORDER BY m.joined_at DESC, m.workspace_id
            $$;

            CREATE OR REPLACE FUNCTION crm_end_session(p_session_id text)
            RETURNS integer
            LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
                WITH ended AS (DELETE FROM sessions WHERE id = p_session_id RETURNING 1)
                SELECT count(*)::int FROM ended
            $$;

            CREATE OR REPLACE FUNCTION crm_purge_expired_sessions(p_now timestamptz, p_batch_size integer)
            RETURNS integer
            LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
                WITH batch AS (
                    SELECT id FROM sessions WHERE expires_at < p_now ORDER BY expires_at LIMIT p_batch_size
                    FOR UPDATE SKIP LOCKED),
                purged AS (DELETE FROM sessions s USING batch WHERE s.id = batch.id RETURNING 1)
                SELECT count(*)::int FROM purged
            $$;

            REVOKE ALL ON FUNCTION crm_session(text), crm_memberships(uuid), crm_end_session(text),
                crm_purge_expired_sessions(timestamptz, integer) FROM PUBLIC;
            """);

    /// <summary>
    /// Version 2 (migration ShardReady): the session functions take the workspace from the token too, so that
    /// they name <c>workspace_id</c> like every other query on a workspace table.
    /// </summary>
    public static void UpgradeCrossWorkspaceFunctionsToV2(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            DROP FUNCTION IF EXISTS crm_session(text);
            DROP FUNCTION IF EXISTS crm_end_session(text);

            CREATE OR REPLACE FUNCTION crm_session(p_workspace_id text, p_session_id text)
            RETURNS TABLE (
                session_id varchar, session_created_at timestamptz, expires_at timestamptz, role varchar, joined_at timestamptz,
                user_id uuid, email varchar, name varchar, user_created_at timestamptz, user_updated_at timestamptz,
                workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                workspace_created_at timestamptz, workspace_updated_at timestamptz)
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
                SELECT s.id, s.created_at, s.expires_at, m.role, m.joined_at,
                       u.id, u.email, u.name, u.created_at, u.updated_at,
                       w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at
                  FROM sessions s
                  JOIN workspace_members m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
                  JOIN users u ON u.id = s.user_id
                  JOIN workspaces w ON w.id = s.workspace_id
                 WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id
            $$;

            CREATE OR REPLACE FUNCTION crm_end_session(p_workspace_id text, p_session_id text)
            RETURNS integer
            LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
                WITH ended AS (DELETE FROM sessions WHERE workspace_id = p_workspace_id AND id = p_session_id RETURNING 1)
                SELECT count(*)::int FROM ended
            $$;

            REVOKE ALL ON FUNCTION crm_session(text, text), crm_end_session(text, text) FROM PUBLIC;
            """);

    /// <summary>Undoes <see cref="UpgradeCrossWorkspaceFunctionsToV2"/>.</summary>
    public static void DowngradeCrossWorkspaceFunctionsToV1(this MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""
            DROP FUNCTION IF EXISTS crm_session(text, text);
            DROP FUNCTION IF EXISTS crm_end_session(text, text);
            """);
        migrationBuilder.CreateCrossWorkspaceFunctionsV1();
    }

    /// <summary>
    /// Version 3 (migration CachedFunctionPlans): the functions a request calls are PL/pgSQL, same signatures and
    /// results. PostgreSQL 15 plans the body of a <c>LANGUAGE sql</c> function on every call when it cannot inline
    /// it, and it never inlines a <c>SECURITY DEFINER</c> function or one with a <c>SET</c> clause; PL/pgSQL keeps
    /// the plan for the life of the connection. Measured with pgbench on the large bench set: the session lookup
    /// went from about 2 000 to 10 000 calls a second (16 connections, 2 cores).
    /// </summary>
    public static void UpgradeCrossWorkspaceFunctionsToV3(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            CREATE OR REPLACE FUNCTION crm_session(p_workspace_id text, p_session_id text)
            RETURNS TABLE (
                session_id varchar, session_created_at timestamptz, expires_at timestamptz, role varchar, joined_at timestamptz,
                user_id uuid, email varchar, name varchar, user_created_at timestamptz, user_updated_at timestamptz,
                workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                workspace_created_at timestamptz, workspace_updated_at timestamptz)
            LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
            BEGIN
                RETURN QUERY
                SELECT s.id, s.created_at, s.expires_at, m.role, m.joined_at,
                       u.id, u.email, u.name, u.created_at, u.updated_at,
                       w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at
                  FROM sessions s
                  JOIN workspace_members m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
                  JOIN users u ON u.id = s.user_id
                  JOIN workspaces w ON w.id = s.workspace_id
                 WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id;
            END
            $$;

            CREATE OR REPLACE FUNCTION crm_memberships(p_user_id uuid)
            RETURNS TABLE (
                workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                workspace_created_at timestamptz, workspace_updated_at timestamptz, role varchar, joined_at timestamptz)
            LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
            BEGIN
                RETURN QUERY
                SELECT w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at, m.role, m.joined_at
                  FROM workspace_members m
                  JOIN workspaces w ON w.id = m.workspace_id
                 WHERE m.user_id = p_user_id
                 ORDER BY m.joined_at DESC, m.workspace_id;
            END
            $$;

            CREATE OR REPLACE FUNCTION crm_end_session(p_workspace_id text, p_session_id text)
            RETURNS integer
            LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
            DECLARE
                ended integer;
            BEGIN
                DELETE FROM sessions WHERE sessions.workspace_id = p_workspace_id AND sessions.id = p_session_id;
                GET DIAGNOSTICS ended = ROW_COUNT;
                RETURN ended;
            END
            $$;
            """);

    /// <summary>
    /// Undoes <see cref="UpgradeCrossWorkspaceFunctionsToV3"/>: version 1 then version 2 again, which replaces every
    /// function with its <c>LANGUAGE sql</c> body (version 2 drops the one-argument overloads version 1 adds back).
    /// </summary>
    public static void DowngradeCrossWorkspaceFunctionsToV2(this MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateCrossWorkspaceFunctionsV1();
        migrationBuilder.UpgradeCrossWorkspaceFunctionsToV2();
    }

    public static void DropCrossWorkspaceFunctions(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            DROP FUNCTION IF EXISTS crm_session(text);
            DROP FUNCTION IF EXISTS crm_memberships(uuid);
            DROP FUNCTION IF EXISTS crm_end_session(text);
            DROP FUNCTION IF EXISTS crm_purge_expired_sessions(timestamptz, integer);
            """);
}
