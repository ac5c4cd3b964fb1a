using Aspire.Hosting.ApplicationModel;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>
/// A PostgreSQL server run from the machine's own binaries as an Aspire executable resource, bound to
/// 127.0.0.1 on a port the orchestrator allocates.
/// </summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";

    private EndpointReference? _endpoint;

    public EndpointReference Endpoint => _endpoint ??= new(this, EndpointName);

    public ParameterResource Password { get; } = password;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host=127.0.0.1;Port={Endpoint.Property(EndpointProperty.Port)};Username={LocalPostgresDataDirectory.SuperUser};Password={Password}");
}

/// <summary>A database on a <see cref="LocalPostgresServerResource"/>. The migration worker creates it.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{Parent.ConnectionStringExpression};Database={DatabaseName}");
}
