using System.Net.Sockets;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using MimeKit;
using Npgsql;

namespace CrmToolkit.Api.Infrastructure.Mail;

/// <summary>
/// Delivers the outbox (<c>mail_outbox</c>) over SMTP with MailKit, one mail per transaction: the row is locked
/// (<c>FOR UPDATE SKIP LOCKED</c>, so several API instances share the work without sending a mail twice), sent, and
/// deleted in the same transaction. While the server cannot be reached, the sender waits 1, 2, 4, ... seconds up to
/// <see cref="MailOptions.MaxRetryDelay"/> and tries again, for as long as it takes; a mail the server defers (4xx) waits
/// the same way on its own, and one it refuses for good (5xx, or an address it cannot take) is kept with
/// <c>failed_at</c> and the server's answer, for an operator. Delivery is at least once: a crash between the
/// server's acceptance and the commit sends that mail again, with the same <c>Message-Id</c>.
/// </summary>
public sealed partial class MailSender(
    IDbContextFactory<CrmDbContext> pool,
    IOptions<MailOptions> options,
    IConfiguration configuration,
    TimeProvider time,
    CrmTelemetry telemetry,
    ILogger<MailSender> logger) : BackgroundService
{
    private int _serverFailures;
    private DateTimeOffset _pausedUntil;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (SmtpEndpoint.FromConfiguration(configuration) is not { } server)
        {
            LogNoServer(SmtpEndpoint.ConnectionName);
            return;
        }

        using var timer = new PeriodicTimer(options.Value.PollInterval, time);
        do
        {
            if (time.GetUtcNow() < _pausedUntil)
            {
                continue;
            }

            try
            {
                await DeliverDueAsync(server, stoppingToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or RetryLimitExceededException or TimeoutException)
            {
                // The database is away: the mails wait in it, nothing is lost. One line per poll, not a stack trace.
                LogDatabaseUnavailable(ex.GetBaseException().Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Sends every mail that is due, until none is left or the server is away.</summary>
    private async Task DeliverDueAsync(SmtpEndpoint server, CancellationToken cancellationToken)
    {
        using var smtp = new SmtpClient { Timeout = 10_000 };
        try
        {
            await using var db = await pool.CreateDbContextAsync(cancellationToken);
            while (await ResilientTransaction.New(db).ExecuteAsync(ct => DeliverNextAsync(db, smtp, server, ct), cancellationToken))
            {
            }
        }
        finally
        {
            if (smtp.IsConnected)
            {
                try
                {
                    await smtp.DisconnectAsync(quit: true, CancellationToken.None);
                }
                catch (Exception ex) when (ex is IOException or SocketException or ProtocolException)
                {
                    // Already sent and committed; a QUIT the server does not hear changes nothing.
                }
            }
        }
    }

    /// <summary>One mail, in the caller's transaction: true when there may be more to send now.</summary>
    private async Task<bool> DeliverNextAsync(CrmDbContext db, SmtpClient smtp, SmtpEndpoint server, CancellationToken cancellationToken)
    {
        var mail = await db.MailOutbox
            .FromSql($"SELECT * FROM mail_outbox WHERE failed_at IS NULL AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED")
            .SingleOrDefaultAsync(cancellationToken);
        if (mail is null)
        {
            return false;
        }

        var now = time.GetUtcNow();
        var more = true;
        try
        {
            var message = ToMimeMessage(mail);
            if (!smtp.IsConnected)
            {
                await ConnectAsync(smtp, server, cancellationToken);
            }

            await smtp.SendAsync(message, cancellationToken);
            db.MailOutbox.Remove(mail);
            _serverFailures = 0;
            telemetry.MailSent();
        }
        catch (Exception ex) when (ex is ParseException || ex is SmtpCommandException { StatusCode: >= (SmtpStatusCode)500 })
        {
            mail.FailedAt = now;
            mail.LastError = Describe(ex);
            LogRefused(mail.Id, mail.LastError);
            telemetry.MailRefused();
        }
        catch (SmtpCommandException ex)
        {
            mail.Attempts++;
            mail.NextAttemptAt = now + Backoff(mail.Attempts);
            mail.LastError = Describe(ex);
            LogDeferred(mail.Id, mail.LastError, mail.NextAttemptAt);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or AuthenticationException or SslHandshakeException)
        {
            // The server is away (or will not let us in): the mail stays due, and the whole sender waits.
            mail.Attempts++;
            mail.LastError = Describe(ex);
            _pausedUntil = now + Backoff(++_serverFailures);
            LogServerUnavailable(ex.GetType().Name, ex.Message, _pausedUntil);
            more = false;
        }

        await db.SaveChangesAsync(cancellationToken);
        return more;
    }

    private MimeMessage ToMimeMessage(OutboxMail mail)
    {
        var message = new MimeMessage
        {
            // The outbox id: a mail sent twice (at least once delivery) is recognisably one mail.
            MessageId = $"{mail.Id}@crmtoolkit",
            Subject = mail.Subject,
            Date = mail.CreatedAt,
            Body = new TextPart("plain") { Text = mail.TextBody },
        };
        message.From.Add(MailboxAddress.Parse(options.Value.From));
        message.To.Add(MailboxAddress.Parse(mail.ToAddress));
        return message;
    }

    private static async Task ConnectAsync(SmtpClient smtp, SmtpEndpoint server, CancellationToken cancellationToken)
    {
        var security = server.Address.Scheme == "smtps" ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTlsWhenAvailable;
        await smtp.ConnectAsync(server.Address.Host, server.Address.Port, security, cancellationToken);
        if (server.Username is { } username)
        {
            await smtp.AuthenticateAsync(username, server.Password ?? "", cancellationToken);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var seconds = Math.Pow(2, Math.Min(failures - 1, 20));
        return TimeSpan.FromSeconds(Math.Min(seconds, options.Value.MaxRetryDelay.TotalSeconds));
    }

    // The server's answer or the failure's kind: never the mail, which holds a token.
    private static string Describe(Exception ex)
    {
        var text = ex is SmtpCommandException smtp ? $"{(int)smtp.StatusCode} {smtp.Message}" : $"{ex.GetType().Name}: {ex.Message}";
        return text.Length > 500 ? text[..500] : text;
    }

    [LoggerMessage(LogLevel.Warning, "No SMTP server is configured (ConnectionStrings:{Name}): mails wait in the outbox until one is")]
    private partial void LogNoServer(string name);

    [LoggerMessage(LogLevel.Warning, "The SMTP server is unavailable ({CauseType}: {Cause}); the outbox waits until {RetryAt:O}")]
    private partial void LogServerUnavailable(string causeType, string cause, DateTimeOffset retryAt);

    [LoggerMessage(LogLevel.Warning, "The SMTP server deferred mail {MailId} ({Answer}); it is tried again at {RetryAt:O}")]
    private partial void LogDeferred(Guid mailId, string answer, DateTimeOffset retryAt);

    [LoggerMessage(LogLevel.Error, "The SMTP server refused mail {MailId} for good ({Answer}); it stays in the outbox with failed_at set")]
    private partial void LogRefused(Guid mailId, string answer);

    [LoggerMessage(LogLevel.Warning, "Sending mail failed, the database is unavailable ({Cause}); will retry at the next poll")]
    private partial void LogDatabaseUnavailable(string cause);

    [LoggerMessage(LogLevel.Warning, "Sending mail failed; will retry at the next poll")]
    private partial void LogFailed(Exception exception);
}
