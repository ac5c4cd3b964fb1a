using Microsoft.EntityFrameworkCore.Migrations;

namespace CrmToolkit.Data.Schema;

/// <summary>
/// The only ways across workspaces, as <c>SECURITY DEFINER</c> functions, each keyed on what its caller already
/// proves: the session lookup and "end this session" need the token's hash, the membership list needs a user id
/// the API has just authenticated, the purge touches only expired rows. They run as the migration owner
/// (superuser or BYPASSRLS), never return a password hash, and are all the application role can do across
/// workspaces. See <see cref="CrossWorkspace"/>.
/// </summary>
/// <remarks>
/// The functions a request calls are PL/pgSQL, not <c>LANGUAGE sql</c>: PostgreSQL never inlines a
/// <c>SECURITY DEFINER</c> function (nor one with a <c>SET</c> clause), and then plans a SQL body on every call,
/// while PL/pgSQL keeps its plan for the connection. These are the bodies of the initial schema; a later change to
/// a function goes into the migration that makes it, with its new body.
/// </remarks>
public static class CrossWorkspaceFunctions
{
    public static void CreateCrossWorkspaceFunctions(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            CREATE FUNCTION crm_session(p_workspace_id text, p_session_id text)
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

            CREATE FUNCTION crm_memberships(p_user_id uuid)
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
                 WHERE m.user_id = p_user_id;
            END
            $$;

            CREATE FUNCTION crm_end_session(p_workspace_id text, p_session_id text)
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

            CREATE FUNCTION crm_purge_expired_sessions(p_now timestamptz, p_batch_size integer)
            RETURNS integer
            LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
                WITH batch AS (
                    SELECT workspace_id, id FROM sessions WHERE expires_at < p_now ORDER BY expires_at LIMIT p_batch_size
                    FOR UPDATE SKIP LOCKED),
                purged AS (DELETE FROM sessions s USING batch WHERE s.workspace_id = batch.workspace_id AND s.id = batch.id RETURNING 1)
                SELECT count(*)::int FROM purged
            $$;

            REVOKE ALL ON FUNCTION crm_session(text, text), crm_memberships(uuid), crm_end_session(text, text),
                crm_purge_expired_sessions(timestamptz, integer) FROM PUBLIC;
            """);

    public static void DropCrossWorkspaceFunctions(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            DROP FUNCTION IF EXISTS crm_session(text, text);
            DROP FUNCTION IF EXISTS crm_memberships(uuid);
            DROP FUNCTION IF EXISTS crm_end_session(text, text);
            DROP FUNCTION IF EXISTS crm_purge_expired_sessions(timestamptz, integer);
            """);
}
