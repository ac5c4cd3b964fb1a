using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CrmToolkit.MigrationWorker.Migrations
{
    /// <inheritdoc />
    public partial class LimitsThatHold : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "workspaces_created_by_idx",
                table: "workspaces");

            migrationBuilder.DropIndex(
                name: "invitations_invited_by_idx",
                table: "invitations");

            migrationBuilder.AddColumn<string>(
                name: "client_address",
                table: "login_failures",
                type: "character varying(45)",
                maxLength: 45,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    friendly_name = table.Column<string>(type: "text", nullable: true),
                    xml = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("data_protection_keys_pkey", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "idempotency_keys",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    route = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    request_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    status_code = table.Column<int>(type: "integer", nullable: false),
                    response_body = table.Column<string>(type: "text", nullable: true),
                    location = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("idempotency_keys_pkey", x => new { x.workspace_id, x.id });
                    table.ForeignKey(
                        name: "idempotency_keys_user_id_users_id_fk",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "idempotency_keys_workspace_id_workspaces_id_fk",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "workspaces_created_by_idx",
                table: "workspaces",
                columns: new[] { "created_by", "created_at" });

            migrationBuilder.CreateIndex(
                name: "invitations_invited_by_idx",
                table: "invitations",
                columns: new[] { "invited_by", "created_at" });

            migrationBuilder.CreateIndex(
                name: "idempotency_keys_created_at_idx",
                table: "idempotency_keys",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "idempotency_keys_workspace_id_user_id_idx",
                table: "idempotency_keys",
                columns: new[] { "workspace_id", "user_id" });

            migrationBuilder.CreateIndex(
                name: "idempotency_keys_workspace_id_user_id_route_key_unique",
                table: "idempotency_keys",
                columns: new[] { "workspace_id", "user_id", "route", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_idempotency_keys_user_id",
                table: "idempotency_keys",
                column: "user_id");

            // The functions this migration adds, with their whole bodies: later migrations never edit this text.
            migrationBuilder.Sql("""
                -- Failed logins count per account and client address, and per account across addresses (a ceiling well above the
                -- per-address limit), so that a stranger cannot lock the owner out. The table is reachable only through these
                -- functions: row-level security is enabled with no policy, so the application role reads and writes nothing of it.
                ALTER TABLE login_failures ENABLE ROW LEVEL SECURITY;

                -- Records an attempt before its password is checked, under a lock on the account, so parallel guesses count one after
                -- another. Over either limit, the attempt is not kept (a refused attempt is not a guess) and the wait is returned.
                CREATE FUNCTION crm_begin_login_attempt(
                    p_email text, p_client_address text, p_now timestamptz, p_window interval, p_per_address integer, p_per_account integer)
                RETURNS TABLE (attempt_id bigint, retry_after interval)
                LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                DECLARE
                    v_key text := crm_login_failure_key(p_email);
                    v_id bigint;
                    v_address_oldest timestamptz;
                    v_account_oldest timestamptz;
                BEGIN
                    PERFORM pg_advisory_xact_lock(hashtextextended('login:' || v_key, 0));
                    INSERT INTO login_failures (account_key, client_address, failed_at) VALUES (v_key, p_client_address, p_now)
                    RETURNING id INTO v_id;

                    -- The (limit + 1)th newest attempt, this one included: while it is inside the window, the limit is spent.
                    SELECT f.failed_at INTO v_address_oldest FROM login_failures f
                     WHERE f.account_key = v_key AND f.client_address = p_client_address AND f.failed_at > p_now - p_window
                     ORDER BY f.failed_at DESC OFFSET p_per_address LIMIT 1;
                    SELECT f.failed_at INTO v_account_oldest FROM login_failures f
                     WHERE f.account_key = v_key AND f.failed_at > p_now - p_window
                     ORDER BY f.failed_at DESC OFFSET p_per_account LIMIT 1;
                    IF v_address_oldest IS NULL AND v_account_oldest IS NULL THEN
                        RETURN QUERY SELECT v_id, NULL::interval;
                        RETURN;
                    END IF;

                    DELETE FROM login_failures WHERE id = v_id;
                    RETURN QUERY SELECT v_id, greatest(v_address_oldest, v_account_oldest) + p_window - p_now;
                END
                $$;

                -- The attempt was not a failure (the password was right, or it was never checked).
                CREATE FUNCTION crm_forget_login_attempt(p_attempt_id bigint)
                RETURNS void
                LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$ DELETE FROM login_failures WHERE id = p_attempt_id $$;

                CREATE FUNCTION crm_purge_login_failures(p_before timestamptz)
                RETURNS integer
                LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                    WITH purged AS (DELETE FROM login_failures WHERE failed_at <= p_before RETURNING 1)
                    SELECT count(*)::int FROM purged
                $$;

                -- Limits that follow the user across workspaces, keyed on the caller's session like every read across workspaces:
                -- when the session's user created workspaces, and sent invitations, since p_since (newest first, at most p_limit).
                CREATE FUNCTION crm_my_recent_workspaces(p_workspace_id text, p_session_id text, p_since timestamptz, p_limit integer)
                RETURNS TABLE (created_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                BEGIN
                    RETURN QUERY
                    SELECT w.created_at
                      FROM sessions s
                      JOIN users u ON u.id = s.user_id
                      JOIN workspaces w ON w.created_by = s.user_id
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND w.created_at > p_since
                       -- Not the workspace registration made: it was created in the user's own transaction, at its now().
                       AND w.created_at <> u.created_at
                     ORDER BY w.created_at DESC
                     LIMIT p_limit;
                END
                $$;

                CREATE FUNCTION crm_my_recent_invitations(p_workspace_id text, p_session_id text, p_since timestamptz, p_limit integer)
                RETURNS TABLE (created_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                BEGIN
                    RETURN QUERY
                    SELECT i.created_at
                      FROM sessions s
                      JOIN invitations i ON i.invited_by = s.user_id
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND i.created_at > p_since
                     ORDER BY i.created_at DESC
                     LIMIT p_limit;
                END
                $$;

                REVOKE ALL ON FUNCTION crm_begin_login_attempt(text, text, timestamptz, interval, integer, integer), crm_forget_login_attempt(bigint),
                    crm_purge_login_failures(timestamptz), crm_my_recent_workspaces(text, text, timestamptz, integer),
                    crm_my_recent_invitations(text, text, timestamptz, integer) FROM PUBLIC;

                -- GET /me/workspaces in keyset pages (most recently joined first, then by id), and switch's one membership: neither
                -- loads every workspace of a user.
                CREATE FUNCTION crm_my_workspaces_page(
                    p_workspace_id text, p_session_id text, p_after_joined_at timestamptz, p_after_workspace_id text, p_limit integer)
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
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND s.expires_at > now()
                       AND (p_after_joined_at IS NULL OR m.joined_at < p_after_joined_at
                            OR (m.joined_at = p_after_joined_at AND m.workspace_id > p_after_workspace_id))
                     ORDER BY m.joined_at DESC, m.workspace_id
                     LIMIT p_limit;
                END
                $$;

                CREATE FUNCTION crm_my_membership(p_workspace_id text, p_session_id text, p_target_workspace_id text)
                RETURNS TABLE (
                    workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                    workspace_created_at timestamptz, workspace_updated_at timestamptz, role varchar, joined_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                BEGIN
                    RETURN QUERY
                    SELECT w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at, m.role, m.joined_at
                      FROM sessions s
                      JOIN workspace_members m ON m.user_id = s.user_id AND m.workspace_id = p_target_workspace_id
                      JOIN workspaces w ON w.id = m.workspace_id
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND s.expires_at > now();
                END
                $$;

                -- Idempotency records older than their 24 hours, a batch at a time (the purge job, across workspaces).
                CREATE FUNCTION crm_purge_idempotency_keys(p_before timestamptz, p_batch_size integer)
                RETURNS integer
                LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                    WITH batch AS (
                        SELECT workspace_id, id FROM idempotency_keys WHERE created_at < p_before ORDER BY created_at LIMIT p_batch_size
                        FOR UPDATE SKIP LOCKED),
                    purged AS (DELETE FROM idempotency_keys k USING batch WHERE k.workspace_id = batch.workspace_id AND k.id = batch.id RETURNING 1)
                    SELECT count(*)::int FROM purged
                $$;

                REVOKE ALL ON FUNCTION crm_my_workspaces_page(text, text, timestamptz, text, integer), crm_my_membership(text, text, text),
                    crm_purge_idempotency_keys(timestamptz, integer) FROM PUBLIC;
                """);
            // Row-level security on every workspace table again (idempotent), which gives the new idempotency_keys its policy.
            foreach (var table in new[] { "contacts", "idempotency_keys", "invitations", "member_sign_ins", "sessions", "workspace_members" })
            {
                migrationBuilder.Sql($"""
                    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                    DROP POLICY IF EXISTS workspace_isolation ON {table};
                    CREATE POLICY workspace_isolation ON {table}
                        USING (workspace_id = current_setting('crm.workspace_id', true))
                        WITH CHECK (workspace_id = current_setting('crm.workspace_id', true));
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP FUNCTION crm_purge_idempotency_keys(timestamptz, integer);
                DROP FUNCTION crm_my_membership(text, text, text);
                DROP FUNCTION crm_my_workspaces_page(text, text, timestamptz, text, integer);
                DROP FUNCTION crm_my_recent_invitations(text, text, timestamptz, integer);
                DROP FUNCTION crm_my_recent_workspaces(text, text, timestamptz, integer);
                DROP FUNCTION crm_purge_login_failures(timestamptz);
                DROP FUNCTION crm_forget_login_attempt(bigint);
                DROP FUNCTION crm_begin_login_attempt(text, text, timestamptz, interval, integer, integer);
                ALTER TABLE login_failures DISABLE ROW LEVEL SECURITY;
                """);

            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropTable(
                name: "idempotency_keys");

            migrationBuilder.DropIndex(
                name: "workspaces_created_by_idx",
                table: "workspaces");

            migrationBuilder.DropIndex(
                name: "invitations_invited_by_idx",
                table: "invitations");

            migrationBuilder.DropColumn(
                name: "client_address",
                table: "login_failures");

            migrationBuilder.CreateIndex(
                name: "workspaces_created_by_idx",
                table: "workspaces",
                column: "created_by");

            migrationBuilder.CreateIndex(
                name: "invitations_invited_by_idx",
                table: "invitations",
                column: "invited_by");
        }
    }
}
