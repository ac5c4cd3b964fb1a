namespace CrmToolkit.AppHost.Postgres;

/// <summary>What a published app (the manifest azd deploys) uses as its database. Chosen with <c>Postgres:PublishAs</c>.</summary>
public enum PostgresPublishMode
{
    /// <summary>
    /// A managed server (Azure Database for PostgreSQL flexible server, <c>infra/postgres.bicep</c>): the owner's and the
    /// application role's connection strings are secret parameters that <c>azd up</c> asks for.
    /// </summary>
    Managed,

    /// <summary>
    /// A throw-away PostgreSQL container for preview environments, without a volume: its data is gone when its
    /// container restarts (an Azure Files volume cannot hold a data directory: initdb cannot chmod it).
    /// </summary>
    Container,
}
