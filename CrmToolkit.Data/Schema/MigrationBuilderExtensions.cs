using Microsoft.EntityFrameworkCore.Migrations;

namespace CrmToolkit.Data.Schema;

/// <summary>
/// What a new migration calls for a new table that EF's model cannot express. A migration that calls it owns the text it
/// wrote (<c>MigrationSqlTests</c> fails if that changes), so this text changes only for migrations not yet written.
/// </summary>
public static class MigrationBuilderExtensions
{
    /// <summary>
    /// Makes every UPDATE of <paramref name="table"/> refresh its <c>updated_at</c> column through the
    /// <c>crm_set_updated_at</c> trigger function that <c>InitialCreate</c> created.
    /// </summary>
    public static void CreateUpdatedAtTrigger(this MigrationBuilder migrationBuilder, string table) =>
        migrationBuilder.Sql($"""
            CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION crm_set_updated_at();
            """);
}
