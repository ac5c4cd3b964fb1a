namespace CrmToolkit.AppHost.Postgres;

/// <summary>
/// The CRM database, whatever PostgreSQL serves it: <see cref="Database"/> is what projects reference
/// (it becomes <c>ConnectionStrings__crm</c>); <see cref="ReadyWhen"/> is what they wait for, if anything.
/// </summary>
public sealed record CrmDatabase(
    PostgresMode Mode,
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResource>? ReadyWhen);

public static class CrmDatabaseExtensions
{
    /// <summary>Waits until the CRM database accepts connections (a no-op for an existing server).</summary>
    public static IResourceBuilder<T> WaitForDatabase<T>(this IResourceBuilder<T> builder, CrmDatabase database)
        where T : IResourceWithWaitSupport =>
        database.ReadyWhen is null ? builder : builder.WaitFor(database.ReadyWhen);
}
