namespace CrmToolkit.AppHost.Postgres;

public static class CrmDatabaseExtensions
{
    /// <summary>The login role the API connects as; the migration worker creates it.</summary>
    public const string AppRole = "crm_app";

    /// <summary>Connects as the database owner and provisions the application role (for the migration worker).</summary>
    public static IResourceBuilder<ProjectResource> WithOwnerConnection(this IResourceBuilder<ProjectResource> builder, CrmDatabase database) =>
        builder.WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
            .WithReference(database.Database)
            .WithReference(database.AppDatabase)
            .WaitForDatabase(database);

    /// <summary>Connects as the application role, under row-level security (for the API).</summary>
    public static IResourceBuilder<ProjectResource> WithAppConnection(this IResourceBuilder<ProjectResource> builder, CrmDatabase database) =>
        builder.WithReferenceEnvironment(ReferenceEnvironmentInjectionFlags.ConnectionString)
            .WithReference(database.AppDatabase, connectionName: CrmPostgresBuilderExtensions.DatabaseName)
            .WaitForDatabase(database);

    /// <summary>Waits until the CRM database accepts connections (a no-op for an existing server).</summary>
    public static IResourceBuilder<T> WaitForDatabase<T>(this IResourceBuilder<T> builder, CrmDatabase database)
        where T : IResourceWithWaitSupport =>
        database.ReadyWhen is null ? builder : builder.WaitFor(database.ReadyWhen);
}
