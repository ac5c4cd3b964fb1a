using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace CrmToolkit.Data.Schema;

/// <summary>
/// Row-level security for every workspace table: PostgreSQL itself admits only rows of the workspace set for
/// the connection (<c>crm.workspace_id</c>), so raw SQL or a forgotten filter in code that connects as the application
/// role cannot see or write another workspace's rows by accident. It is no defence against someone holding that role's
/// password, who can set <c>crm.workspace_id</c> themselves (docs/architecture.md, "Threat model").
/// </summary>
/// <remarks>
/// Enabled, not forced: the owner (the migration role) stays exempt, and so do the <c>SECURITY DEFINER</c> functions,
/// which run as the owner. Forcing it would change nothing where the owner is a superuser, and on a managed server,
/// whose admin is no superuser and cannot have <c>BYPASSRLS</c>, would leave those functions seeing nothing.
/// </remarks>
public static class WorkspaceRowLevelSecurity
{
    /// <summary>The model annotation every <see cref="Entities.IWorkspaceScoped"/> entity carries.</summary>
    public const string Annotation = "Crm:WorkspaceScoped";

    /// <summary>The setting that names the current workspace.</summary>
    public const string WorkspaceSetting = "crm.workspace_id";

    /// <summary>The setting that names the current user (the signed-in one, or the one being registered).</summary>
    public const string UserSetting = "crm.user_id";

    public const string PolicyName = "workspace_isolation";

    /// <summary>
    /// Isolates the table of every entity of <paramref name="targetModel"/> that carries <see cref="Annotation"/>: enables
    /// RLS with the workspace policy and, where the citus extension is installed, distributes the table by
    /// <c>workspace_id</c>, co-located with <c>workspaces</c> (docs/scaling.md). Idempotent: call it at the end of a new
    /// migration that adds a workspace table (<c>migrationBuilder.ApplyWorkspaceIsolation(TargetModel)</c>). The SQL it
    /// writes then belongs to that migration (<c>MigrationSqlTests</c> fails if it changes): a different policy goes into a
    /// new migration, written there.
    /// </summary>
    public static void ApplyWorkspaceIsolation(this MigrationBuilder migrationBuilder, IModel? targetModel)
    {
        ArgumentNullException.ThrowIfNull(targetModel);
        foreach (var table in WorkspaceTables(targetModel))
        {
            migrationBuilder.Sql($"""
                ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
                DROP POLICY IF EXISTS {PolicyName} ON {table};
                CREATE POLICY {PolicyName} ON {table}
                    USING (workspace_id = current_setting('{WorkspaceSetting}', true))
                    WITH CHECK (workspace_id = current_setting('{WorkspaceSetting}', true));
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
                        IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = '{table}'::regclass) THEN
                            PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
                            -- One connection per worker: the migration's transaction may already have used the reference tables.
                            PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
                            PERFORM create_distributed_table('{table}', 'workspace_id', colocate_with => 'workspaces');
                        END IF;
                    END IF;
                END
                $$;
                """);
        }
    }

    /// <summary>The tables of the entities of <paramref name="model"/> that carry <see cref="Annotation"/>, in ordinal order.</summary>
    public static IEnumerable<string> WorkspaceTables(IModel model) =>
        model.GetEntityTypes()
            .Where(e => e.FindAnnotation(Annotation)?.Value is true)
            .Select(e => e.GetTableName() ?? throw new InvalidOperationException($"{e.DisplayName()} has no table."))
            .Distinct()
            .Order(StringComparer.Ordinal);
}
