using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Infrastructure.Mail;

/// <summary>
/// Mail delivery (section <c>Mail</c>). The SMTP server itself is the connection string <c>ConnectionStrings:mail</c>
/// (<c>Endpoint=smtp://host:port</c>, optionally <c>;Username=...;Password=...</c>), which the AppHost provides.
/// </summary>
public sealed class MailOptions
{
    public const string Section = "Mail";

    /// <summary>
    /// Where the links in mails point (<c>{LinkBaseUrl}/verify-email?token=...</c>, <c>/reset-password?token=...</c>): a web
    /// app's address, which then serves those two paths. Unset, the API's own first listening address, where it serves
    /// two small pages itself. Never taken from a request's Host header, which a client chooses.
    /// </summary>
    public Uri? LinkBaseUrl { get; set; }

    /// <summary>The sender of every mail (RFC 5322 mailbox).</summary>
    [Required]
    public string From { get; set; } = "CrmToolkit <no-reply@crmtoolkit.localhost>";

    /// <summary>How often the sender looks for mails due; a mail reaches a running server within about this long of its commit.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between two tries while the server is away or defers a mail (the wait doubles up to it).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);
}
