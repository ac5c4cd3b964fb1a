using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CrmToolkit.MigrationWorker.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "login_failures",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    account_key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    failed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("login_failures_pkey", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    email = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    password_hash = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("users_pkey", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "workspaces",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "text", nullable: true),
                    created_by = table.Column<Guid>(type: "uuid", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("workspaces_pkey", x => x.id);
                    table.CheckConstraint("workspaces_id_check", "(id COLLATE \"C\") ~ '^[A-Za-z0-9]{10,20}$'");
                    table.ForeignKey(
                        name: "workspaces_created_by_users_id_fk",
                        column: x => x.created_by,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "contacts",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    workspace_id = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    first_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    last_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    email = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    phone = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: true),
                    company = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    notes = table.Column<string>(type: "text", nullable: true),
                    created_by = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("contacts_pkey", x => new { x.workspace_id, x.id });
                    table.ForeignKey(
                        name: "contacts_created_by_users_id_fk",
                        column: x => x.created_by,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "contacts_workspace_id_workspaces_id_fk",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "invitations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    workspace_id = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    email = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    role = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false),
                    invited_by = table.Column<Guid>(type: "uuid", nullable: false),
                    status = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false, defaultValueSql: "'pending'"),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    answered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("invitations_pkey", x => new { x.workspace_id, x.id });
                    table.CheckConstraint("invitations_role_check", "role IN ('owner', 'admin', 'member')");
                    table.CheckConstraint("invitations_status_check", "status IN ('pending', 'accepted', 'declined', 'revoked', 'replaced')");
                    table.ForeignKey(
                        name: "invitations_invited_by_users_id_fk",
                        column: x => x.invited_by,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "invitations_workspace_id_workspaces_id_fk",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "member_sign_ins",
                columns: table => new
                {
                    workspace_id = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    signed_in_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("member_sign_ins_pkey", x => new { x.workspace_id, x.user_id });
                    table.ForeignKey(
                        name: "member_sign_ins_user_id_users_id_fk",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "member_sign_ins_workspace_id_workspaces_id_fk",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "sessions",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    workspace_id = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("sessions_pkey", x => new { x.workspace_id, x.id });
                    table.ForeignKey(
                        name: "sessions_user_id_users_id_fk",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "sessions_workspace_id_workspaces_id_fk",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "workspace_members",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    workspace_id = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    role = table.Column<string>(type: "character varying(50)", maxLength: 50, nullable: false, defaultValueSql: "'member'"),
                    joined_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("workspace_members_pkey", x => new { x.workspace_id, x.id });
                    table.CheckConstraint("workspace_members_role_check", "role IN ('owner', 'admin', 'member')");
                    table.ForeignKey(
                        name: "workspace_members_user_id_users_id_fk",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "workspace_members_workspace_id_workspaces_id_fk",
                        column: x => x.workspace_id,
                        principalTable: "workspaces",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "contacts_created_by_idx",
                table: "contacts",
                column: "created_by");

            migrationBuilder.CreateIndex(
                name: "contacts_workspace_name_idx",
                table: "contacts",
                columns: new[] { "workspace_id", "last_name", "first_name", "id" });

            migrationBuilder.CreateIndex(
                name: "invitations_invited_by_idx",
                table: "invitations",
                column: "invited_by");

            migrationBuilder.CreateIndex(
                name: "invitations_workspace_created_at_idx",
                table: "invitations",
                columns: new[] { "workspace_id", "created_at" });

            migrationBuilder.CreateIndex(
                name: "login_failures_account_key_failed_at_idx",
                table: "login_failures",
                columns: new[] { "account_key", "failed_at" });

            migrationBuilder.CreateIndex(
                name: "member_sign_ins_user_id_idx",
                table: "member_sign_ins",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "sessions_expires_at_idx",
                table: "sessions",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "sessions_user_id_idx",
                table: "sessions",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "workspace_members_user_id_idx",
                table: "workspace_members",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "workspace_members_workspace_id_user_id_unique",
                table: "workspace_members",
                columns: new[] { "workspace_id", "user_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "workspaces_created_by_idx",
                table: "workspaces",
                column: "created_by");

            // Hand-written: what EF's model cannot express. This text is what databases ran; change the schema in a new migration.
            migrationBuilder.Sql("CREATE UNIQUE INDEX users_email_unique ON users (lower(email));");
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION crm_set_updated_at() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    NEW.updated_at := now();
                    RETURN NEW;
                END
                $$;
                """);
            foreach (var table in new[] { "users", "workspaces", "contacts" })
            {
                migrationBuilder.Sql($"""
                    CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION crm_set_updated_at();
                    """);
            }

            // The only ways across workspaces (see CrossWorkspace): SECURITY DEFINER functions, each keyed on what its caller
            // proves, running as the migration owner, which row-level security exempts. Those a request calls are PL/pgSQL:
            // PostgreSQL never inlines a SECURITY DEFINER function and would plan a SQL body on every call.
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
            // One pending invitation per workspace and email (compared as everywhere), and the invitee's lookup.
            migrationBuilder.Sql("CREATE UNIQUE INDEX invitations_pending_email_unique ON invitations (workspace_id, crm_email_key(email)) WHERE status = 'pending';");
            migrationBuilder.Sql("CREATE INDEX invitations_pending_email_idx ON invitations (crm_email_key(email)) WHERE status = 'pending';");

            // Row-level security, enabled and not forced (the owner and its functions stay exempt). workspaces has no
            // workspace_id: its id is the workspace, and deleting it cascades to every workspace table.
            migrationBuilder.Sql("""
                ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
                DROP POLICY IF EXISTS workspace_isolation ON workspaces;
                CREATE POLICY workspace_isolation ON workspaces
                    USING (id = current_setting('crm.workspace_id', true))
                    WITH CHECK (id = current_setting('crm.workspace_id', true));
                """);
            // users belongs to no workspace: the application role sees its own user and, to read, the current workspace's
            // members; the password hash column is not even selectable by it (the worker's grants).
            migrationBuilder.Sql("""
                ALTER TABLE users ENABLE ROW LEVEL SECURITY;
                CREATE POLICY own_user ON users
                    USING (id = nullif(current_setting('crm.user_id', true), '')::uuid)
                    WITH CHECK (id = nullif(current_setting('crm.user_id', true), '')::uuid);
                CREATE POLICY workspace_member_users ON users FOR SELECT
                    USING (EXISTS (SELECT 1 FROM workspace_members m
                                    WHERE m.user_id = users.id AND m.workspace_id = current_setting('crm.workspace_id', true)));
                """);
            foreach (var table in new[] { "contacts", "invitations", "member_sign_ins", "sessions", "workspace_members" })
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
            // The member policy on users depends on workspace_members.
            migrationBuilder.Sql("""
                DROP POLICY IF EXISTS workspace_member_users ON users;
                DROP POLICY IF EXISTS own_user ON users;
                """);

            migrationBuilder.DropTable(
                name: "contacts");

            migrationBuilder.DropTable(
                name: "invitations");

            migrationBuilder.DropTable(
                name: "login_failures");

            migrationBuilder.DropTable(
                name: "member_sign_ins");

            migrationBuilder.DropTable(
                name: "sessions");

            migrationBuilder.DropTable(
                name: "workspace_members");

            migrationBuilder.DropTable(
                name: "workspaces");

            migrationBuilder.DropTable(
                name: "users");

            // After the tables: the invitations' email indexes use crm_email_key.
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
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS crm_set_updated_at();");
        }
    }
}
