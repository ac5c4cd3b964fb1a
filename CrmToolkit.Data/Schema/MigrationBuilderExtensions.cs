using Microsoft.EntityFrameworkCore.Migrations;

namespace CrmToolkit.Data.Schema;

/// <summary>Schema pieces that EF's model cannot express, written once and called from migrations.</summary>
public static class MigrationBuilderExtensions
{
    /// <summary>Creates the shared trigger function that stamps <c>updated_at</c> (idempotent).</summary>
    public static void CreateUpdatedAtFunction(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            CREATE OR REPLACE FUNCTION crm_set_updated_at() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                NEW.updated_at := now();
                RETURN NEW;
            END
            $$;
            """);

    public static void DropUpdatedAtFunction(this MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("DROP FUNCTION IF EXISTS crm_set_updated_at();");

    /// <summary>Makes every UPDATE of <paramref name="table"/> refresh its <c>updated_at</c> column.</summary>
    public static void CreateUpdatedAtTrigger(this MigrationBuilder migrationBuilder, string table) =>
        migrationBuilder.Sql($"""
            CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table}
            FOR EACH ROW EXECUTE FUNCTION crm_set_updated_at();
            """);
}
