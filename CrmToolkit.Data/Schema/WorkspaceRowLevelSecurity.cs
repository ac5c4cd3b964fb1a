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
    /// Enables RLS, with the workspace policy, on the table of every entity of
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
        DROP POLICY IF EXISTS {PolicyName} ON {table};
        CREATE POLICY {PolicyName} ON {table}
            USING (workspace_id = current_setting('{WorkspaceSetting}', true))
            WITH CHECK (workspace_id = current_setting('{WorkspaceSetting}', true));
        """;

    /// <summary>
    /// The tenant row itself: <c>workspaces</c> has no <c>workspace_id</c>, its <c>id</c> is the workspace, and
    /// deleting it cascades to every workspace table (cascades ignore RLS), so it gets the same policy on
    /// <c>id</c>. Registration and workspace creation bind their context to the new id before inserting.
    /// </summary>
    public static string WorkspacesPolicySql() => $"""
        ALTER TABLE workspaces ENABLE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS {PolicyName} ON workspaces;
        CREATE POLICY {PolicyName} ON workspaces
            USING (id = current_setting('{WorkspaceSetting}', true))
            WITH CHECK (id = current_setting('{WorkspaceSetting}', true));
        """;

    /// <summary>
    /// <c>users</c> belongs to no workspace, yet holds every tenant's people and password hashes. The application role
    /// sees its own user (the setting <see cref="UserSetting"/>: registration inserts it, a rehash at login updates it)
    /// and, to read, the members of the current workspace; nobody else. The hash column is not even selectable by it
    /// (the worker's grants): login reads it through <c>crm_login_user</c>.
    /// </summary>
    public static string UsersPolicySql() => $"""
        ALTER TABLE users ENABLE ROW LEVEL SECURITY;
        CREATE POLICY own_user ON users
            USING (id = nullif(current_setting('{UserSetting}', true), '')::uuid)
            WITH CHECK (id = nullif(current_setting('{UserSetting}', true), '')::uuid);
        CREATE POLICY workspace_member_users ON users FOR SELECT
            USING (EXISTS (SELECT 1 FROM workspace_members m
                            WHERE m.user_id = users.id AND m.workspace_id = current_setting('{WorkspaceSetting}', true)));
        """;

    /// <summary>Undoes <see cref="UsersPolicySql"/>; its member policy depends on <c>workspace_members</c>.</summary>
    public static string DropUsersPolicySql() => """
        DROP POLICY IF EXISTS workspace_member_users ON users;
        DROP POLICY IF EXISTS own_user ON users;
        """;
}
