using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CrmToolkit.MigrationWorker.Migrations
{
    /// <summary>
    /// The schema on Citus (docs/scaling.md): where the citus extension is installed, the global tables that workspace
    /// tables point at become reference tables, and <c>workspaces</c> and every workspace table are distributed by
    /// workspace and co-located, so a workspace's rows live on one worker. Everywhere: <c>crm_workspace_users()</c>,
    /// the users a context may see, which on Citus replaces the member policy on <c>users</c> (Citus allows no
    /// subquery in a policy).
    /// </summary>
    public partial class RunsOnCitus : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The workspace tables of this migration's model: those that carry the isolation marker.
            var workspaceTables = WorkspaceRowLevelSecurity.WorkspaceTables(TargetModel).Select(t => $"'{t}'");

            // The functions keyed on a session that then look across workspaces find the session's user first, and then
            // that user's rows: one join of a workspace's session with every workspace's rows would make Citus repartition.
            // The same results as before on both engines; Down keeps these bodies.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION crm_my_workspaces_page(
                    p_workspace_id text, p_session_id text, p_after_joined_at timestamptz, p_after_workspace_id text, p_limit integer)
                RETURNS TABLE (
                    workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                    workspace_created_at timestamptz, workspace_updated_at timestamptz, role varchar, joined_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                DECLARE
                    v_user_id uuid;
                BEGIN
                    SELECT s.user_id INTO v_user_id FROM sessions s
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND s.expires_at > now();
                    RETURN QUERY
                    SELECT w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at, m.role, m.joined_at
                      FROM workspace_members m
                      JOIN workspaces w ON w.id = m.workspace_id
                     WHERE m.user_id = v_user_id
                       AND (p_after_joined_at IS NULL OR m.joined_at < p_after_joined_at
                            OR (m.joined_at = p_after_joined_at AND m.workspace_id > p_after_workspace_id))
                     ORDER BY m.joined_at DESC, m.workspace_id
                     LIMIT p_limit;
                END
                $$;

                CREATE OR REPLACE FUNCTION crm_my_membership(p_workspace_id text, p_session_id text, p_target_workspace_id text)
                RETURNS TABLE (
                    workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                    workspace_created_at timestamptz, workspace_updated_at timestamptz, role varchar, joined_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                DECLARE
                    v_user_id uuid;
                BEGIN
                    SELECT s.user_id INTO v_user_id FROM sessions s
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND s.expires_at > now();
                    RETURN QUERY
                    SELECT w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at, m.role, m.joined_at
                      FROM workspace_members m
                      JOIN workspaces w ON w.id = m.workspace_id
                     WHERE m.workspace_id = p_target_workspace_id AND m.user_id = v_user_id;
                END
                $$;

                CREATE OR REPLACE FUNCTION crm_my_recent_workspaces(p_workspace_id text, p_session_id text, p_since timestamptz, p_limit integer)
                RETURNS TABLE (created_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                DECLARE
                    v_user_id uuid;
                    v_user_created_at timestamptz;
                BEGIN
                    SELECT u.id, u.created_at INTO v_user_id, v_user_created_at
                      FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id;
                    RETURN QUERY
                    SELECT w.created_at
                      FROM workspaces w
                     WHERE w.created_by = v_user_id AND w.created_at > p_since
                       -- Not the workspace registration made: it was created in the user's own transaction, at its now().
                       AND w.created_at <> v_user_created_at
                     ORDER BY w.created_at DESC
                     LIMIT p_limit;
                END
                $$;

                CREATE OR REPLACE FUNCTION crm_my_recent_invitations(p_workspace_id text, p_session_id text, p_since timestamptz, p_limit integer)
                RETURNS TABLE (created_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                DECLARE
                    v_user_id uuid;
                BEGIN
                    SELECT s.user_id INTO v_user_id FROM sessions s WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id;
                    RETURN QUERY
                    SELECT i.created_at
                      FROM invitations i
                     WHERE i.invited_by = v_user_id AND i.created_at > p_since
                     ORDER BY i.created_at DESC
                     LIMIT p_limit;
                END
                $$;

                CREATE OR REPLACE FUNCTION crm_my_invitations(p_workspace_id text, p_session_id text)
                RETURNS TABLE (
                    invitation_id uuid, workspace_id varchar, workspace_name varchar, email varchar, role varchar,
                    invited_by uuid, inviter_name varchar, created_at timestamptz, expires_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                DECLARE
                    v_email_key text;
                BEGIN
                    SELECT lower(u.email) INTO v_email_key
                      FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND s.expires_at > now();
                    RETURN QUERY
                    SELECT i.id, i.workspace_id, w.name, i.email, i.role, i.invited_by, inviter.name, i.created_at, i.expires_at
                      FROM invitations i
                      JOIN workspaces w ON w.id = i.workspace_id
                      JOIN users inviter ON inviter.id = i.invited_by
                      JOIN workspace_members im ON im.workspace_id = i.workspace_id AND im.user_id = i.invited_by
                                               AND (im.role = 'owner' OR (im.role = 'admin' AND i.role = 'member'))
                     WHERE crm_email_key(i.email) = v_email_key AND i.status = 'pending' AND i.expires_at > now();
                END
                $$;
                """);

            // A user's own sessions, in any workspace, are theirs to read and end (logout, switch, accept): crm_end_session
            // runs as the caller, under these policies. As a definer function it would, on Citus, touch a worker as the
            // owner in a transaction that the application role also writes in, which Citus refuses.
            migrationBuilder.Sql("""
                CREATE POLICY own_sessions_read ON sessions FOR SELECT
                    USING (user_id = nullif(current_setting('crm.user_id', true), '')::uuid);
                CREATE POLICY own_sessions_end ON sessions FOR DELETE
                    USING (user_id = nullif(current_setting('crm.user_id', true), '')::uuid);
                CREATE OR REPLACE FUNCTION crm_end_session(p_workspace_id text, p_session_id text)
                RETURNS integer
                LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public, pg_temp
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

            // Plain PostgreSQL: the member policy on users already says who a context may see, and an SQL function is
            // inlined into the query that calls it, so joining on it costs what joining on users did.
            // Citus: the member policy goes, and the function reads as the owner the members of the current workspace
            // (one shard's rows) and the current user. PL/pgSQL: Citus cannot plan a SQL function's parameters.
            // Distributing: a foreign key from a local table to a distributed one cannot exist, so those pointing at
            // workspaces are dropped and added again once every table is distributed; the updated_at and sign-in
            // triggers run on the shards, where they touch only the row's own workspace (citus.enable_unsafe_triggers).
            migrationBuilder.Sql($$"""
                DO $$
                DECLARE
                    fk record;
                    restore text[] := '{}';
                    statement text;
                    workspace_table text;
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
                        CREATE FUNCTION crm_workspace_users() RETURNS TABLE (id uuid, email varchar, name varchar)
                        LANGUAGE sql STABLE
                        AS $f$ SELECT id, email, name FROM users $f$;
                        RETURN;
                    END IF;

                    DROP POLICY workspace_member_users ON users;
                    CREATE FUNCTION crm_workspace_users() RETURNS TABLE (id uuid, email varchar, name varchar)
                    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                    AS $f$
                    BEGIN
                        RETURN QUERY
                        SELECT u.id, u.email, u.name FROM users u
                        WHERE u.id = nullif(current_setting('crm.user_id', true), '')::uuid
                           OR u.id IN (SELECT m.user_id FROM workspace_members m WHERE m.workspace_id = current_setting('crm.workspace_id', true));
                    END
                    $f$;
                    REVOKE ALL ON FUNCTION crm_workspace_users() FROM PUBLIC;

                    -- The purges without row locks, which Citus takes on one shard only; two purges at once delete a row once.
                    CREATE OR REPLACE FUNCTION crm_purge_expired_sessions(p_batch_size integer)
                    RETURNS integer
                    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
                    AS $f$
                    DECLARE
                        v_purged integer;
                    BEGIN
                        DELETE FROM sessions s
                         WHERE (s.workspace_id, s.id) IN (
                               SELECT b.workspace_id, b.id FROM sessions b WHERE b.expires_at < now() ORDER BY b.expires_at LIMIT p_batch_size);
                        GET DIAGNOSTICS v_purged = ROW_COUNT;
                        RETURN v_purged;
                    END
                    $f$;
                    CREATE OR REPLACE FUNCTION crm_purge_idempotency_keys(p_before timestamptz, p_batch_size integer)
                    RETURNS integer
                    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
                    AS $f$
                    DECLARE
                        v_purged integer;
                    BEGIN
                        DELETE FROM idempotency_keys k
                         WHERE (k.workspace_id, k.id) IN (
                               SELECT b.workspace_id, b.id FROM idempotency_keys b WHERE b.created_at < p_before ORDER BY b.created_at LIMIT p_batch_size);
                        GET DIAGNOSTICS v_purged = ROW_COUNT;
                        RETURN v_purged;
                    END
                    $f$;

                    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
                    PERFORM create_reference_table('users');
                    PERFORM create_reference_table('email_tokens');
                    FOR fk IN SELECT conrelid::regclass AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                              WHERE contype = 'f' AND confrelid = 'workspaces'::regclass LOOP
                        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
                        restore := restore || format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.tbl, fk.conname, fk.def);
                    END LOOP;
                    PERFORM create_distributed_table('workspaces', 'id');
                    FOREACH workspace_table IN ARRAY ARRAY[{{string.Join(", ", workspaceTables)}}] LOOP
                        PERFORM create_distributed_table(workspace_table, 'workspace_id', colocate_with => 'workspaces');
                    END LOOP;
                    FOREACH statement IN ARRAY restore LOOP
                        EXECUTE statement;
                    END LOOP;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Back to one node's tables (undistribute_table follows the foreign keys), and the member policy.
            migrationBuilder.Sql("""
                DROP POLICY own_sessions_read ON sessions;
                DROP POLICY own_sessions_end ON sessions;
                ALTER FUNCTION crm_end_session(text, text) SECURITY DEFINER;
                DROP FUNCTION crm_workspace_users();
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
                        PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
                        PERFORM undistribute_table('workspaces', cascade_via_foreign_keys => true);
                        CREATE POLICY workspace_member_users ON users FOR SELECT
                            USING (EXISTS (SELECT 1 FROM workspace_members m
                                            WHERE m.user_id = users.id AND m.workspace_id = current_setting('crm.workspace_id', true)));
                    END IF;
                END
                $$;
                """);
        }
    }
}
