using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CrmToolkit.Data.Migrations
{
    /// <inheritdoc />
    public partial class CachedFunctionPlans : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.UpgradeCrossWorkspaceFunctionsToV3();
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DowngradeCrossWorkspaceFunctionsToV2();
        }
    }
}
