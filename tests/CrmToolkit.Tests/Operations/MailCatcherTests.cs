using System.Data.Common;
using System.Net.Sockets;
using Aspire.Hosting.Testing;
using CrmToolkit.Hosting.Mail;
using CrmToolkit.Tests.Infrastructure;
using Smtp = System.Net.Mail;

namespace CrmToolkit.Tests.Operations;

/// <summary>
/// The AppHost's mail catcher (smtp4dev): what is sent to the <c>mail</c> connection string the API gets can be read
/// back from its REST API, and the catcher can be stopped and started like any resource.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class MailCatcherTests(AppFixture app)
{
    [Fact]
    public async Task AMailSentToTheMailConnectionStringIsCaughtWithItsPlainTextBody()
    {
        var to = NewAddress();

        await SendAsync(await SmtpEndpointAsync(), to, "Welcome to CrmToolkit", "Hello,\nhttps://crm.test/accept?token=abc\n");

        var mail = await app.Mail.WaitForMailAsync(to);
        Assert.Equal("Welcome to CrmToolkit", mail.Subject);
        Assert.Equal([to], mail.To);
        Assert.Contains("https://crm.test/accept?token=abc", mail.Body);
        Assert.Equal(mail.Id, Assert.Single(await app.Mail.MessagesToAsync(to.ToUpperInvariant())).Id);
    }

    [Fact]
    public async Task AStoppedCatcherRefusesMailAndCatchesMailAgainOnceStarted()
    {
        var endpoint = await SmtpEndpointAsync();
        Assert.True(await GreetsAsync(endpoint), $"{endpoint} does not greet before the stop");

        await app.StopMailAsync();
        try
        {
            Assert.False(await GreetsAsync(endpoint), $"{endpoint} still greets after the stop");
        }
        finally
        {
            await app.StartMailAsync();
        }

        var to = NewAddress();
        await SendAsync(await SmtpEndpointAsync(), to, "After the restart", "caught again");
        Assert.Equal("caught again", (await app.Mail.WaitForMailAsync(to)).Body.TrimEnd());
    }

    private static string NewAddress() => $"catch-{Guid.NewGuid():N}@example.com";

    // Endpoint=smtp://host:port, the format of Aspire's MailKit client integration.
    private async Task<Uri> SmtpEndpointAsync()
    {
        var connectionString = await app.App.GetConnectionStringAsync(MailCatcherBuilderExtensions.ResourceName)
            ?? throw new InvalidOperationException("The mail resource has no connection string.");
        var endpoint = new Uri((string)new DbConnectionStringBuilder { ConnectionString = connectionString }["Endpoint"]);
        Assert.Equal("smtp", endpoint.Scheme);
        return endpoint;
    }

    private static async Task SendAsync(Uri endpoint, string to, string subject, string body)
    {
        using var client = new Smtp.SmtpClient(endpoint.Host, endpoint.Port);
        using var message = new Smtp.MailMessage("noreply@crm.test", to, subject, body);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.SendMailAsync(message, cts.Token);
    }

    // Whether an SMTP server answers there with its 220 greeting (a proxy with nothing behind it would accept the
    // connection and then close it).
    private static async Task<bool> GreetsAsync(Uri endpoint)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(endpoint.Host, endpoint.Port, cts.Token);
            using var reader = new StreamReader(tcp.GetStream());
            return (await reader.ReadLineAsync(cts.Token))?.StartsWith("220", StringComparison.Ordinal) == true;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
