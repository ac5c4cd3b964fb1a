namespace CrmToolkit.AppHost.Postgres;

/// <summary>
/// A PostgreSQL server run from the machine's own binaries as an Aspire executable resource, bound to
/// 127.0.0.1 on a port the orchestrator allocates.
/// </summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";
    internal const string SuperUser = "postgres";

    private EndpointReference? _endpoint;

    public EndpointReference Endpoint => _endpoint ??= new(this, EndpointName);

    public ParameterResource Password { get; } = password;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host=127.0.0.1;Port={Endpoint.Property(EndpointProperty.Port)};Username={SuperUser};Password={Password}");
}
