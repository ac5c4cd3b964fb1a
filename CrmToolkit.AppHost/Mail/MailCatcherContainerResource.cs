namespace CrmToolkit.AppHost.Mail;

/// <summary>smtp4dev's container image (<c>rnwood/smtp4dev</c>).</summary>
public sealed class MailCatcherContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    private EndpointReference? _smtp;

    public EndpointReference Smtp => _smtp ??= new(this, MailCatcherBuilderExtensions.SmtpEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint=smtp://{Smtp.Property(EndpointProperty.HostAndPort)}");
}
