using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace CrmToolkit.Data.Schema;

/// <summary>
/// Sharding by workspace with Citus (also sold as Azure Cosmos DB for PostgreSQL): <c>workspaces</c> and every
/// workspace table are distributed by their workspace column and co-located, so a workspace's rows live on
/// one node; the global tables are reference tables, copied to every node. Applied only where the
/// <c>citus</c> extension is installed; elsewhere the statement does nothing.
/// </summary>
public static class CitusDistribution
{
    /// <summary>Tables without a workspace: replicated to every node.</summary>
    public static readonly string[] ReferenceTables = ["users", "login_failures"];

    public static void DistributeByWorkspaceWhereCitusIsInstalled(this MigrationBuilder migrationBuilder, IModel? targetModel)
    {
        ArgumentNullException.ThrowIfNull(targetModel);
        migrationBuilder.Sql(Sql(targetModel));
    }

    /// <summary>
    /// The guarded statement: reference tables first (workspaces references users), then <c>workspaces</c> by
    /// <c>id</c>, then each workspace table by <c>workspace_id</c>, co-located with <c>workspaces</c>.
    /// </summary>
    public static string Sql(IModel model)
    {
        var workspaceTables = model.GetEntityTypes()
            .Where(e => e.FindAnnotation(WorkspaceRowLevelSecurity.Annotation)?.Value is true)
            .Select(e => e.GetTableName()!)
            .Distinct()
            .Order(StringComparer.Ordinal);
        var statements = ReferenceTables.Select(t => $"PERFORM create_reference_table('{t}');")
            .Append("PERFORM create_distributed_table('workspaces', 'id');")
            .Concat(workspaceTables.Select(t => $"PERFORM create_distributed_table('{t}', 'workspace_id', colocate_with => 'workspaces');"));
        return $"""
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
                    {string.Join("\n            ", statements)}
                END IF;
            END
            $$;
            """;
    }
}
