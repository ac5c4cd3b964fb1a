using Microsoft.EntityFrameworkCore.Migrations;

namespace CrmToolkit.Data.Schema;

/// <summary>
/// The only ways across workspaces, as <c>SECURITY DEFINER</c> functions, each keyed on what its caller proves: a
/// session (its workspace and token hash) for everything a signed-in user reads about their own workspaces and
/// invitations; an email for login's password check, and the user whose password was just checked for login's choice
/// of workspace; nothing but the server's clock for the purge. They run as the migration owner, which row-level
/// security exempts (it is enabled, not forced), return no password hash but <c>crm_login_user</c>'s, and are all
/// the application role can do across workspaces. See <see cref="CrossWorkspace"/>.
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
            -- How emails compare everywhere (the unique index is on lower(email)); immutable, so indexes can use it.
            CREATE FUNCTION crm_email_key(p_email text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT lower(btrim(p_email)) $$;

            -- The failed-login counter's key: no typed login is kept in clear.
            CREATE FUNCTION crm_login_failure_key(p_email text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT encode(sha256(convert_to(crm_email_key(p_email), 'UTF8')), 'hex') $$;

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

            -- Every workspace of the session's user.
            CREATE FUNCTION crm_my_workspaces(p_workspace_id text, p_session_id text)
            RETURNS TABLE (
                workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                workspace_created_at timestamptz, workspace_updated_at timestamptz, role varchar, joined_at timestamptz)
            LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
            BEGIN
                RETURN QUERY
                SELECT w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at, m.role, m.joined_at
                  FROM sessions s
                  JOIN workspace_members m ON m.user_id = s.user_id
                  JOIN workspaces w ON w.id = m.workspace_id
                 WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND s.expires_at > now();
            END
            $$;

            -- Pending, unexpired invitations to the email of the session's user.
            CREATE FUNCTION crm_my_invitations(p_workspace_id text, p_session_id text)
            RETURNS TABLE (
                invitation_id uuid, workspace_id varchar, workspace_name varchar, email varchar, role varchar,
                invited_by uuid, inviter_name varchar, created_at timestamptz, expires_at timestamptz)
            LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
            BEGIN
                RETURN QUERY
                SELECT i.id, i.workspace_id, w.name, i.email, i.role, i.invited_by, inviter.name, i.created_at, i.expires_at
                  FROM sessions s
                  JOIN users u ON u.id = s.user_id
                  JOIN invitations i ON crm_email_key(i.email) = lower(u.email) AND i.status = 'pending' AND i.expires_at > now()
                  JOIN workspaces w ON w.id = i.workspace_id
                  JOIN users inviter ON inviter.id = i.invited_by
                 WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND s.expires_at > now();
            END
            $$;

            -- Login: the account with this email, with its hash (which the application role cannot select).
            CREATE FUNCTION crm_login_user(p_email text)
            RETURNS TABLE (
                user_id uuid, email varchar, name varchar, password_hash varchar, user_created_at timestamptz, user_updated_at timestamptz)
            LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
            BEGIN
                RETURN QUERY
                SELECT u.id, u.email, u.name, u.password_hash, u.created_at, u.updated_at
                  FROM users u
                 WHERE lower(u.email) = crm_email_key(p_email);
            END
            $$;

            -- Login, once the password is checked: the membership in p_workspace_id, or else the workspace the user last
            -- started a session in (while still a member), or else the one joined first.
            CREATE FUNCTION crm_login_workspace(p_user_id uuid, p_workspace_id text)
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
                  LEFT JOIN member_sign_ins si ON si.workspace_id = m.workspace_id AND si.user_id = m.user_id
                 WHERE m.user_id = p_user_id AND (p_workspace_id IS NULL OR m.workspace_id = p_workspace_id)
                 ORDER BY si.signed_in_at DESC NULLS LAST, m.joined_at, m.workspace_id
                 LIMIT 1;
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

            -- The purge: sessions that expired by the server's clock (never the caller's), a batch at a time.
            CREATE FUNCTION crm_purge_expired_sessions(p_batch_size integer)
            RETURNS integer
            LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
            AS $$
                WITH batch AS (
                    SELECT workspace_id, id FROM sessions WHERE expires_at < now() ORDER BY expires_at LIMIT p_batch_size
                    FOR UPDATE SKIP LOCKED),
                purged AS (DELETE FROM sessions s USING batch WHERE s.workspace_id = batch.workspace_id AND s.id = batch.id RETURNING 1)
                SELECT count(*)::int FROM purged
            $$;

            REVOKE ALL ON FUNCTION crm_session(text, text), crm_my_workspaces(text, text), crm_my_invitations(text, text),
                crm_login_user(text), crm_login_workspace(uuid, text), crm_end_session(text, text),
                crm_purge_expired_sessions(integer) FROM PUBLIC;

            -- Every new session records where its user last signed in, whoever inserts it (the API or a package).
            CREATE FUNCTION crm_record_sign_in() RETURNS trigger
            LANGUAGE plpgsql
            AS $$
            BEGIN
                INSERT INTO member_sign_ins (workspace_id, user_id, signed_in_at) VALUES (NEW.workspace_id, NEW.user_id, NEW.created_at)
                ON CONFLICT (workspace_id, user_id) DO UPDATE SET signed_in_at = excluded.signed_in_at;
                RETURN NULL;
            END
            $$;

            CREATE TRIGGER sessions_record_sign_in AFTER INSERT ON sessions
            FOR EACH ROW EXECUTE FUNCTION crm_record_sign_in();
            """);

    public static void DropCrossWorkspaceFunctions(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            DROP TRIGGER IF EXISTS sessions_record_sign_in ON sessions;
            DROP FUNCTION IF EXISTS crm_record_sign_in();
            DROP FUNCTION IF EXISTS crm_session(text, text);
            DROP FUNCTION IF EXISTS crm_my_workspaces(text, text);
            DROP FUNCTION IF EXISTS crm_my_invitations(text, text);
            DROP FUNCTION IF EXISTS crm_login_user(text);
            DROP FUNCTION IF EXISTS crm_login_workspace(uuid, text);
            DROP FUNCTION IF EXISTS crm_end_session(text, text);
            DROP FUNCTION IF EXISTS crm_purge_expired_sessions(integer);
            DROP FUNCTION IF EXISTS crm_login_failure_key(text);
            DROP FUNCTION IF EXISTS crm_email_key(text);
            """);
}
