using System.Globalization;
using CrmToolkit.Data.Entities;

namespace CrmToolkit.Api.Infrastructure.Mail;

/// <summary>
/// The mails the API sends, as plain text. Each becomes an <see cref="OutboxMail"/> row, added to the context of the
/// change that causes it, so it is committed (and sent) with that change or not at all.
/// </summary>
public static class Mails
{
    public static OutboxMail VerifyEmail(string to, string name, Uri link, TimeSpan lifetime) => new()
    {
        ToAddress = to,
        Subject = "Confirm your email address",
        TextBody = $"""
            Hello {name},

            please confirm that {to} is your email address by opening this link:

            {link}

            The link works once and expires in {Describe(lifetime)}. If you did not sign up for CrmToolkit, ignore this mail.
            """,
    };

    public static OutboxMail ResetPassword(string to, string name, Uri link, TimeSpan lifetime) => new()
    {
        ToAddress = to,
        Subject = "Reset your password",
        TextBody = $"""
            Hello {name},

            somebody asked to reset the password of the CrmToolkit account {to}. To choose a new password, open this link:

            {link}

            The link works once and expires in {Describe(lifetime)}. Choosing a new password signs you out everywhere.
            If you did not ask for it, ignore this mail: your password stays as it is.
            """,
    };

    public static OutboxMail Invitation(string to, string workspaceName, string inviterName, WorkspaceRole role, DateTimeOffset expiresAt) => new()
    {
        ToAddress = to,
        Subject = $"{inviterName} invited you to {workspaceName}",
        TextBody = $"""
            Hello,

            {inviterName} invited {to} to join the workspace "{workspaceName}" on CrmToolkit as {role.ToString().ToLowerInvariant()}.

            To accept or decline, sign in to CrmToolkit with this address (or create an account with it), confirm the
            address if you have not yet, and open your invitations. The invitation expires on {expiresAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC.
            If you do not know {inviterName}, ignore this mail.
            """,
    };

    private static string Describe(TimeSpan lifetime) =>
        lifetime.TotalHours >= 1 && lifetime.TotalHours == Math.Floor(lifetime.TotalHours)
            ? (lifetime.TotalHours == 1 ? "1 hour" : $"{lifetime.TotalHours.ToString(CultureInfo.InvariantCulture)} hours")
            : $"{Math.Ceiling(lifetime.TotalMinutes).ToString(CultureInfo.InvariantCulture)} minutes";
}
