namespace CrmToolkit.AppHost.Mail;

/// <summary>
/// smtp4dev run as the repository's local dotnet tool (<c>dotnet tool run smtp4dev</c>, pinned in
/// <c>.config/dotnet-tools.json</c>), listening on loopback only.
/// </summary>
public sealed class LocalMailCatcherResource(string name, string repositoryRoot)
    : ExecutableResource(name, "dotnet", repositoryRoot), IResourceWithConnectionString
{
    private EndpointReference? _smtp;

    public EndpointReference Smtp => _smtp ??= new(this, MailCatcherBuilderExtensions.SmtpEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint=smtp://{Smtp.Property(EndpointProperty.HostAndPort)}");
}
