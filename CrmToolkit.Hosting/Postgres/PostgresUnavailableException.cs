namespace CrmToolkit.Hosting.Postgres;

/// <summary>Thrown when no PostgreSQL mode can work here; the message says what to install or configure.</summary>
public sealed class PostgresUnavailableException(string message) : Exception(message);
