using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CrmToolkit.MigrationWorker.Migrations
{
    /// <inheritdoc />
    public partial class ProofOfEmail : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "email_verified",
                table: "users",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "email_tokens",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    purpose = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    email = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("email_tokens_pkey", x => x.id);
                    table.CheckConstraint("email_tokens_purpose_check", "purpose IN ('verify_email', 'password_reset')");
                    table.ForeignKey(
                        name: "email_tokens_user_id_users_id_fk",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "mail_outbox",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    to_address = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    subject = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    text_body = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    failed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("mail_outbox_pkey", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "password_reset_requests",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    email_key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    client_address = table.Column<string>(type: "character varying(45)", maxLength: 45, nullable: false),
                    requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("password_reset_requests_pkey", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "email_tokens_user_id_purpose_created_at_idx",
                table: "email_tokens",
                columns: new[] { "user_id", "purpose", "created_at" });

            migrationBuilder.CreateIndex(
                name: "mail_outbox_due_idx",
                table: "mail_outbox",
                column: "next_attempt_at",
                filter: "failed_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "password_reset_requests_client_address_requested_at_idx",
                table: "password_reset_requests",
                columns: new[] { "client_address", "requested_at" });

            migrationBuilder.CreateIndex(
                name: "password_reset_requests_email_key_requested_at_idx",
                table: "password_reset_requests",
                columns: new[] { "email_key", "requested_at" });

            // The functions this migration changes or adds, with their whole bodies: later migrations never edit this text.
            migrationBuilder.Sql("""
                -- The session lookup and login's account read now say whether the address is proven (a new result column, so the
                -- functions are dropped and made again; their bodies are otherwise those of InitialCreate).
                DROP FUNCTION crm_session(text, text);
                CREATE FUNCTION crm_session(p_workspace_id text, p_session_id text)
                RETURNS TABLE (
                    session_id varchar, session_created_at timestamptz, expires_at timestamptz, role varchar, joined_at timestamptz,
                    user_id uuid, email varchar, name varchar, email_verified boolean, user_created_at timestamptz, user_updated_at timestamptz,
                    workspace_id varchar, workspace_name varchar, description text, created_by uuid,
                    workspace_created_at timestamptz, workspace_updated_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                BEGIN
                    RETURN QUERY
                    SELECT s.id, s.created_at, s.expires_at, m.role, m.joined_at,
                           u.id, u.email, u.name, u.email_verified, u.created_at, u.updated_at,
                           w.id, w.name, w.description, w.created_by, w.created_at, w.updated_at
                      FROM sessions s
                      JOIN workspace_members m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
                      JOIN users u ON u.id = s.user_id
                      JOIN workspaces w ON w.id = s.workspace_id
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id;
                END
                $$;

                DROP FUNCTION crm_login_user(text);
                CREATE FUNCTION crm_login_user(p_email text)
                RETURNS TABLE (
                    user_id uuid, email varchar, name varchar, email_verified boolean, password_hash varchar,
                    user_created_at timestamptz, user_updated_at timestamptz)
                LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                BEGIN
                    RETURN QUERY
                    SELECT u.id, u.email, u.name, u.email_verified, u.password_hash, u.created_at, u.updated_at
                      FROM users u
                     WHERE lower(u.email) = crm_email_key(p_email);
                END
                $$;

                -- An invitation holds only while its inviter is a member who may grant its role (an owner any, an admin member).
                CREATE OR REPLACE FUNCTION crm_my_invitations(p_workspace_id text, p_session_id text)
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
                      JOIN workspace_members im ON im.workspace_id = i.workspace_id AND im.user_id = i.invited_by
                                               AND (im.role = 'owner' OR (im.role = 'admin' AND i.role = 'member'))
                     WHERE s.workspace_id = p_workspace_id AND s.id = p_session_id AND s.expires_at > now();
                END
                $$;

                -- Proof of email: the token (known only by its hash) is used once, before it expires, and proves the address it was
                -- mailed to, if the account still has that address.
                CREATE FUNCTION crm_verify_email(p_token_hash text)
                RETURNS uuid
                LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                DECLARE
                    v_user_id uuid;
                    v_email varchar;
                BEGIN
                    UPDATE email_tokens t SET used_at = now()
                     WHERE t.id = p_token_hash AND t.purpose = 'verify_email' AND t.used_at IS NULL AND t.expires_at > now()
                    RETURNING t.user_id, t.email INTO v_user_id, v_email;
                    IF v_user_id IS NULL THEN
                        RETURN NULL;
                    END IF;

                    UPDATE users u SET email_verified = true WHERE u.id = v_user_id AND lower(u.email) = crm_email_key(v_email);
                    IF NOT FOUND THEN
                        RETURN NULL;
                    END IF;

                    RETURN v_user_id;
                END
                $$;

                -- A password reset, in one statement: the token used, the new hash, the address proven, every session and every other
                -- reset link of the user ended.
                CREATE FUNCTION crm_reset_password(p_token_hash text, p_password_hash text)
                RETURNS uuid
                LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
                AS $$
                DECLARE
                    v_user_id uuid;
                    v_email varchar;
                BEGIN
                    UPDATE email_tokens t SET used_at = now()
                     WHERE t.id = p_token_hash AND t.purpose = 'password_reset' AND t.used_at IS NULL AND t.expires_at > now()
                    RETURNING t.user_id, t.email INTO v_user_id, v_email;
                    IF v_user_id IS NULL THEN
                        RETURN NULL;
                    END IF;

                    UPDATE users u
                       SET password_hash = p_password_hash,
                           email_verified = u.email_verified OR lower(u.email) = crm_email_key(v_email)
                     WHERE u.id = v_user_id;
                    DELETE FROM sessions WHERE user_id = v_user_id;
                    UPDATE email_tokens SET used_at = now() WHERE user_id = v_user_id AND purpose = 'password_reset' AND used_at IS NULL;
                    RETURN v_user_id;
                END
                $$;

                REVOKE ALL ON FUNCTION crm_session(text, text), crm_login_user(text), crm_verify_email(text), crm_reset_password(text, text) FROM PUBLIC;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP FUNCTION crm_verify_email(text);
                DROP FUNCTION crm_reset_password(text, text);

                -- InitialCreate's definitions again.
                DROP FUNCTION crm_session(text, text);
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

                DROP FUNCTION crm_login_user(text);
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

                CREATE OR REPLACE FUNCTION crm_my_invitations(p_workspace_id text, p_session_id text)
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

                REVOKE ALL ON FUNCTION crm_session(text, text), crm_login_user(text) FROM PUBLIC;
                """);

            migrationBuilder.DropTable(
                name: "email_tokens");

            migrationBuilder.DropTable(
                name: "mail_outbox");

            migrationBuilder.DropTable(
                name: "password_reset_requests");

            migrationBuilder.DropColumn(
                name: "email_verified",
                table: "users");
        }
    }
}
