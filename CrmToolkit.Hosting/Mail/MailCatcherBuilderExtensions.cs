using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CrmToolkit.Hosting.Mail;

/// <summary>
/// The SMTP server the API sends through. Run mode: smtp4dev, a mail catcher that keeps every message and shows it in
/// its web UI and REST API (<c>/api/messages</c>) on <see cref="UiPort"/>: its container image when a container runtime
/// really runs, else the repository's local dotnet tool. Publish mode: a real SMTP server's connection string, a secret
/// parameter azd asks for.
/// </summary>
public static class MailCatcherBuilderExtensions
{
    public const string ResourceName = "mail";
    public const string HttpEndpointName = "http";
    public const string SmtpEndpointName = "smtp";

    /// <summary>The web UI's port under <c>dotnet run</c>, beside the API's 5480 (the tests take a free one).</summary>
    public const int UiPort = 5481;

    // The same version as the local tool in .config/dotnet-tools.json.
    private const string Image = "rnwood/smtp4dev";
    private const string ImageTag = "3.15.0";

    // Messages live in memory (--db=): nothing is left on disk, and every start begins empty. The tests send hundreds of
    // mails to one mailbox, more than the default 100 kept. No IMAP or POP3 server, and no settings file of a
    // developer's own smtp4dev (--nousersettings), so every machine runs the same catcher.
    private static readonly string[] CommonArgs = ["--db=", "--messagestokeep=5000", "--imapport=", "--pop3port=", "--nousersettings"];

    /// <summary>
    /// Adds the resource <c>mail</c> with the connection string <c>Endpoint=smtp://host:port</c>: in run mode smtp4dev,
    /// healthy once its REST API answers (so <c>WaitFor(mail)</c> means it accepts mail); in publish mode the secret
    /// parameter <c>mail</c>.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddMailCatcher(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddConnectionString(ResourceName);
        }

        var (mail, mode) = ContainerRuntime.IsRunning(builder.Configuration, out var runtime)
            ? (AddContainer(builder), $"container (container runtime '{runtime}' is running)")
            : (AddLocalTool(builder), "local dotnet tool (no running container runtime)");

        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CrmToolkit.Hosting.Mail");
            logger.LogInformation("Mail catcher: smtp4dev {Version}, {Mode}", ImageTag, mode);
            return Task.CompletedTask;
        });

        return mail;
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddContainer(IDistributedApplicationBuilder builder)
    {
        var mail = builder.AddResource(new MailCatcherContainerResource(ResourceName))
            .WithImage(Image, ImageTag)
            .WithImageRegistry("docker.io")
            .WithHttpEndpoint(port: UiPort, targetPort: 80, name: HttpEndpointName)
            .WithEndpoint(targetPort: 25, scheme: "smtp", name: SmtpEndpointName)
            // Inside the container: every interface, on the ports mapped above.
            .WithArgs([.. CommonArgs, "--smtpport=25", "--urls=http://*:80"]);
        return Finish(builder, mail);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddLocalTool(IDistributedApplicationBuilder builder)
    {
        // dotnet tool run looks for the manifest (.config/ beside CrmToolkit.sln) from the AppHost's folder upwards; this
        // library's build restores the tool (CrmToolkit.Hosting.csproj).
        var resource = new LocalMailCatcherResource(ResourceName, builder.AppHostDirectory);
        var http = new EndpointReference(resource, HttpEndpointName);
        var smtp = new EndpointReference(resource, SmtpEndpointName);

        var mail = builder.AddResource(resource)
            // The UI behind the orchestrator's proxy on the fixed port; smtp4dev itself on one the orchestrator picks.
            .WithHttpEndpoint(port: UiPort, name: HttpEndpointName)
            // SMTP without a proxy: the connection string names smtp4dev's own port, and a stopped catcher refuses
            // connections instead of a proxy accepting them.
            .WithEndpoint(scheme: "smtp", name: SmtpEndpointName, isProxied: false)
            .WithArgs(
            [
                "tool", "run", "smtp4dev", "--", .. CommonArgs,
                // Loopback only: SMTP on 127.0.0.1 and ::1, the web server on localhost.
                "--allowremoteconnections-",
                ReferenceExpression.Create($"--smtpport={smtp.Property(EndpointProperty.TargetPort)}"),
                ReferenceExpression.Create($"--urls=http://localhost:{http.Property(EndpointProperty.TargetPort)}"),
            ]);
        return Finish(builder, mail);
    }

    // Endpoint=smtp://host:port, the format of Aspire's MailKit client integration.
    internal static ReferenceExpression SmtpConnectionString(IResourceWithEndpoints catcher) =>
        ReferenceExpression.Create($"Endpoint=smtp://{new EndpointReference(catcher, SmtpEndpointName).Property(EndpointProperty.HostAndPort)}");

    // smtp4dev starts its SMTP server before its web server: once the REST API answers, it accepts mail.
    private static IResourceBuilder<IResourceWithConnectionString> Finish<T>(IDistributedApplicationBuilder builder, IResourceBuilder<T> mail)
        where T : IResourceWithEndpoints, IResourceWithConnectionString
    {
        mail.WithHttpHealthCheck("/api/server").WithIconName("Mail");
        return builder.CreateResourceBuilder<IResourceWithConnectionString>(mail.Resource);
    }
}
