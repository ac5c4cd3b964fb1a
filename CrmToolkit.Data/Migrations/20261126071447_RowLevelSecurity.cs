using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CrmToolkit.Data.Migrations
{
    /// <inheritdoc />
    public partial class RowLevelSecurity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateCrossWorkspaceFunctionsV1();
            migrationBuilder.ApplyWorkspaceRowLevelSecurity(TargetModel);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(WorkspaceRowLevelSecurity.DropSql("sessions"));
            migrationBuilder.Sql(WorkspaceRowLevelSecurity.DropSql("workspace_members"));
            migrationBuilder.DropCrossWorkspaceFunctions();
        }
    }
}
