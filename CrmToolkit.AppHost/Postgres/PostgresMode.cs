namespace CrmToolkit.AppHost.Postgres;

/// <summary>Where the AppHost gets PostgreSQL from. Forced with <c>Postgres:Mode</c>; <see cref="Auto"/> by default.</summary>
public enum PostgresMode
{
    /// <summary>The first that works of <see cref="Existing"/>, <see cref="Container"/>, <see cref="Local"/>.</summary>
    Auto,

    /// <summary>A server you already run, named by the connection string <c>ConnectionStrings:crm</c>.</summary>
    Existing,

    /// <summary>Aspire's PostgreSQL container (needs a running container runtime).</summary>
    Container,

    /// <summary>The PostgreSQL server binaries on this machine, run by the AppHost.</summary>
    Local,
}
