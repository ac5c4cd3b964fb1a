using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CrmToolkit.Data.Migrations
{
    /// <inheritdoc />
    public partial class WorkspacesRowSecurity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(WorkspaceRowLevelSecurity.WorkspacesPolicySql());
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(WorkspaceRowLevelSecurity.DropSql("workspaces"));
        }
    }
}
