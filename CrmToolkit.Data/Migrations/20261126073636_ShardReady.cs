using System;
using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CrmToolkit.Data.Migrations
{
    /// <inheritdoc />
    public partial class ShardReady : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "workspace_members_pkey",
                table: "workspace_members");

            migrationBuilder.DropPrimaryKey(
                name: "sessions_pkey",
                table: "sessions");

            migrationBuilder.DropIndex(
                name: "sessions_workspace_id_idx",
                table: "sessions");

            migrationBuilder.DropPrimaryKey(
                name: "contacts_pkey",
                table: "contacts");

            migrationBuilder.AddPrimaryKey(
                name: "workspace_members_pkey",
                table: "workspace_members",
                columns: new[] { "workspace_id", "id" });

            migrationBuilder.AddPrimaryKey(
                name: "sessions_pkey",
                table: "sessions",
                columns: new[] { "workspace_id", "id" });

            migrationBuilder.AddPrimaryKey(
                name: "contacts_pkey",
                table: "contacts",
                columns: new[] { "workspace_id", "id" });

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

            migrationBuilder.CreateIndex(
                name: "login_failures_account_key_failed_at_idx",
                table: "login_failures",
                columns: new[] { "account_key", "failed_at" });

            // Session functions keyed on the token's workspace too; then, only where Citus is installed,
            // distribute every workspace table by workspace_id (users and login_failures as reference tables).
            migrationBuilder.UpgradeCrossWorkspaceFunctionsToV2();
            migrationBuilder.DistributeByWorkspaceWhereCitusIsInstalled(TargetModel);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Citus has no "undistribute" here: on a Citus cluster, run undistribute_table() by hand first.
            migrationBuilder.DowngradeCrossWorkspaceFunctionsToV1();

            migrationBuilder.DropTable(
                name: "login_failures");

            migrationBuilder.DropPrimaryKey(
                name: "workspace_members_pkey",
                table: "workspace_members");

            migrationBuilder.DropPrimaryKey(
                name: "sessions_pkey",
                table: "sessions");

            migrationBuilder.DropPrimaryKey(
                name: "contacts_pkey",
                table: "contacts");

            migrationBuilder.AddPrimaryKey(
                name: "workspace_members_pkey",
                table: "workspace_members",
                column: "id");

            migrationBuilder.AddPrimaryKey(
                name: "sessions_pkey",
                table: "sessions",
                column: "id");

            migrationBuilder.AddPrimaryKey(
                name: "contacts_pkey",
                table: "contacts",
                column: "id");

            migrationBuilder.CreateIndex(
                name: "sessions_workspace_id_idx",
                table: "sessions",
                column: "workspace_id");
        }
    }
}
