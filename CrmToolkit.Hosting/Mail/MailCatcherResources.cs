using Aspire.Hosting.ApplicationModel;

namespace CrmToolkit.Hosting.Mail;

/// <summary>
/// smtp4dev run as the repository's local dotnet tool (<c>dotnet tool run smtp4dev</c>, pinned in
/// <c>.config/dotnet-tools.json</c>), listening on loopback only.
/// </summary>
public sealed class LocalMailCatcherResource(string name, string workingDirectory)
    : ExecutableResource(name, "dotnet", workingDirectory), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression => MailCatcherBuilderExtensions.SmtpConnectionString(this);
}

/// <summary>smtp4dev's container image (<c>rnwood/smtp4dev</c>).</summary>
public sealed class MailCatcherContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression => MailCatcherBuilderExtensions.SmtpConnectionString(this);
}
