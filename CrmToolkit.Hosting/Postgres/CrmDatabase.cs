using Aspire.Hosting.ApplicationModel;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>
/// The CRM database, whatever PostgreSQL serves it. <see cref="Database"/> connects as the owner (for the
/// migration worker); <see cref="AppDatabase"/> as the application role (for the API, and for the worker, which
/// provisions that role with that password). <see cref="ReadyWhen"/> is what they wait for, if anything.
/// <see cref="Citus"/> is the coordinator and its workers when the local server is a Citus cluster.
/// </summary>
public sealed record CrmDatabase(
    PostgresMode Mode,
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> AppDatabase,
    IResourceBuilder<IResource>? ReadyWhen,
    CitusCluster? Citus = null);
