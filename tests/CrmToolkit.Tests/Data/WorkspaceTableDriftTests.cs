using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using CrmToolkit.MigrationWorker;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Tests.Data;

/// <summary>
/// Reads the live database: every table with a <c>workspace_id</c> column, core or package, must have
/// row-level security enabled with a policy, an index leading with <c>workspace_id</c>, and a
/// cascading foreign key to <c>workspaces</c>; and every such table must be a marked entity of the model.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class WorkspaceTableDriftTests(AppFixture app)
{
    [Fact]
    public async Task EveryWorkspaceTableIsIsolatedByTheDatabase()
    {
        var problems = await app.Database.ListAsync("""
            WITH t AS (
                SELECT c.oid, c.relname, c.relrowsecurity
                  FROM pg_class c
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'workspace_id' AND NOT a.attisdropped
                 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r')
            SELECT relname || ': row level security not enabled' FROM t WHERE NOT relrowsecurity
            UNION ALL SELECT relname || ': no policy' FROM t WHERE NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid)
            UNION ALL SELECT relname || ': no index leading with workspace_id' FROM t
             WHERE NOT EXISTS (
                 SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                  WHERE i.indrelid = t.oid AND a.attname = 'workspace_id')
            UNION ALL SELECT relname || ': no cascading foreign key to workspaces' FROM t
             WHERE NOT EXISTS (
                 SELECT 1 FROM pg_constraint f JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = f.conkey[1]
                  WHERE f.conrelid = t.oid AND f.contype = 'f' AND f.confrelid = 'workspaces'::regclass
                    AND a.attname = 'workspace_id' AND f.confdeltype = 'c')
            ORDER BY 1
            """);

        Assert.Empty(problems);

        // The tenant row itself is guarded the same way, on its id.
        Assert.Equal(["True | 1"], await app.Database.ListAsync(
            "SELECT relrowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) FROM pg_class c WHERE oid = 'workspaces'::regclass"));
    }

    [Fact]
    public async Task EveryWorkspaceTableIsAMarkedEntityWithTheWorkspaceFilter()
    {
        var tables = await app.Database.ListAsync(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'workspace_id' ORDER BY 1");
        await using var db = new CrmDbContext(CrmModel.Options("Host=unused").Options);

        var marked = db.Model.GetEntityTypes()
            .Where(e => typeof(IWorkspaceScoped).IsAssignableFrom(e.ClrType))
            .ToList();

        Assert.Equal(tables, marked.Select(e => e.GetTableName()!).Order(StringComparer.Ordinal));
        Assert.All(marked, e => Assert.Contains(e.GetDeclaredQueryFilters(), f => f.Key == CrmDbContext.WorkspaceFilter));
    }
}
