using System;
using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CrmToolkit.Data.Migrations
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

            // Hand-written: what EF's model cannot express (see Schema/).
            migrationBuilder.Sql("CREATE UNIQUE INDEX users_email_unique ON users (lower(email));");
            migrationBuilder.CreateUpdatedAtFunction();
            migrationBuilder.CreateUpdatedAtTrigger("users");
            migrationBuilder.CreateUpdatedAtTrigger("workspaces");
            migrationBuilder.CreateUpdatedAtTrigger("contacts");
            migrationBuilder.CreateCrossWorkspaceFunctions();
            // One pending invitation per workspace and email (compared as everywhere), and the invitee's lookup.
            migrationBuilder.Sql("CREATE UNIQUE INDEX invitations_pending_email_unique ON invitations (workspace_id, crm_email_key(email)) WHERE status = 'pending';");
            migrationBuilder.Sql("CREATE INDEX invitations_pending_email_idx ON invitations (crm_email_key(email)) WHERE status = 'pending';");
            migrationBuilder.Sql(WorkspaceRowLevelSecurity.WorkspacesPolicySql());
            migrationBuilder.Sql(WorkspaceRowLevelSecurity.UsersPolicySql());
            migrationBuilder.ApplyWorkspaceRowLevelSecurity(TargetModel);
            // Only where the citus extension is installed: distribute every workspace table by workspace_id.
            migrationBuilder.DistributeByWorkspaceWhereCitusIsInstalled(TargetModel);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(WorkspaceRowLevelSecurity.DropUsersPolicySql());

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
            migrationBuilder.DropCrossWorkspaceFunctions();
            migrationBuilder.DropUpdatedAtFunction();
        }
    }
}
