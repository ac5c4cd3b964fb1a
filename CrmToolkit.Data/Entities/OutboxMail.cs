namespace CrmToolkit.Data.Entities;

/// <summary>
/// A mail waiting to be sent: written in the same transaction as the change that causes it (so a change that rolls
/// back sends nothing), delivered over SMTP by the API's mail sender and deleted once the server accepted it.
/// </summary>
public sealed class OutboxMail
{
    public Guid Id { get; set; }
    public required string ToAddress { get; set; }
    public required string Subject { get; set; }
    public required string TextBody { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Failed deliveries so far; the next one waits longer (see the sender's backoff).</summary>
    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Set when the server refused the mail for good (a permanent SMTP error): it is kept, not retried.</summary>
    public DateTimeOffset? FailedAt { get; set; }

    /// <summary>What the server or the connection said at the last failure (never the mail's text).</summary>
    public string? LastError { get; set; }
}
