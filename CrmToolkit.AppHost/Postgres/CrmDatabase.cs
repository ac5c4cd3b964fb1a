namespace CrmToolkit.AppHost.Postgres;

/// <summary>
/// The CRM database, whatever PostgreSQL serves it. <see cref="Database"/> connects as the owner (for the
/// migration worker); <see cref="AppDatabase"/> as the application role (for the API, and for the worker, which
/// provisions that role with that password). <see cref="ReadyWhen"/> is what they wait for, if anything.
/// </summary>
public sealed record CrmDatabase(
    PostgresMode Mode,
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> AppDatabase,
    IResourceBuilder<IResource>? ReadyWhen);

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
