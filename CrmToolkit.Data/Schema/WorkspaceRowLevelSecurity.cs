using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace CrmToolkit.Data.Schema;

/// <summary>
/// Row-level security for every workspace table: PostgreSQL itself admits only rows of the workspace set for
/// the connection (<c>crm.workspace_id</c>), so raw SQL, a forgotten filter or another program using the
/// application role cannot see or write another workspace's rows.
/// </summary>
public static class WorkspaceRowLevelSecurity
{
    /// <summary>The model annotation every <see cref="Entities.IWorkspaceScoped"/> entity carries.</summary>
    public const string Annotation = "Crm:WorkspaceScoped";

    /// <summary>The setting that names the current workspace.</summary>
    public const string Setting = "crm.workspace_id";

    public const string PolicyName = "workspace_isolation";

    /// <summary>
    /// Enables and forces RLS, with the workspace policy, on the table of every entity of
    /// <paramref name="targetModel"/> that carries <see cref="Annotation"/>. Idempotent: call it at the end of
    /// every migration that adds a workspace table (<c>migrationBuilder.ApplyWorkspaceRowLevelSecurity(TargetModel)</c>).
    /// </summary>
    public static void ApplyWorkspaceRowLevelSecurity(this MigrationBuilder migrationBuilder, IModel? targetModel)
    {
        ArgumentNullException.ThrowIfNull(targetModel);
        var tables = targetModel.GetEntityTypes()
            .Where(e => e.FindAnnotation(Annotation)?.Value is true)
            .Select(e => e.GetTableName() ?? throw new InvalidOperationException($"{e.DisplayName()} has no table."))
            .Distinct()
            .Order(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            migrationBuilder.Sql(PolicySql(table));
        }
    }

    public static string PolicySql(string table) => $"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS {PolicyName} ON {table};
        CREATE POLICY {PolicyName} ON {table}
            USING (workspace_id = current_setting('{Setting}', true))
            WITH CHECK (workspace_id = current_setting('{Setting}', true));
        """;

    /// <summary>
    /// The tenant row itself: <c>workspaces</c> has no <c>workspace_id</c>, its <c>id</c> is the workspace, and
    /// deleting it cascades to every workspace table (cascades ignore RLS), so it gets the same policy on
    /// <c>id</c>. Registration and workspace creation bind their context to the new id before inserting.
    /// </summary>
    public static string WorkspacesPolicySql() => $"""
        ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
        ALTER TABLE workspaces FORCE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS {PolicyName} ON workspaces;
        CREATE POLICY {PolicyName} ON workspaces
            USING (id = current_setting('{Setting}', true))
            WITH CHECK (id = current_setting('{Setting}', true));
        """;

    /// <summary>Undoes <see cref="PolicySql"/> (for a migration's Down).</summary>
    public static string DropSql(string table) => $"""
        DROP POLICY IF EXISTS {PolicyName} ON {table};
        ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
        """;
}
