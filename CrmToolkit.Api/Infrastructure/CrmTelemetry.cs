using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CrmToolkit.Api.Infrastructure;

/// <summary>
/// CrmToolkit's own spans and metrics (activity source and meter <see cref="Name"/>). Tags carry outcomes and
/// counts only: never a token, a password, a hash or an email.
/// </summary>
public sealed class CrmTelemetry
{
    public const string Name = "CrmToolkit";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _logins;
    private readonly Counter<long> _sessionsCreated;
    private readonly Counter<long> _sessionsEnded;
    private readonly Counter<long> _sessionsRenewed;
    private readonly Counter<long> _sessionsPurged;
    private readonly Counter<long> _workspacesCreated;
    private readonly Counter<long> _mails;

    public CrmTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        _logins = meter.CreateCounter<long>("crm.logins", description: "Login attempts, by result.");
        _sessionsCreated = meter.CreateCounter<long>("crm.sessions.created", description: "Sessions created, by reason.");
        _sessionsEnded = meter.CreateCounter<long>("crm.sessions.ended", description: "Sessions ended before expiry, by reason.");
        _sessionsRenewed = meter.CreateCounter<long>("crm.sessions.renewed", description: "Sliding expiry renewals written.");
        _sessionsPurged = meter.CreateCounter<long>("crm.sessions.purged", description: "Expired sessions deleted by the purge job.");
        _workspacesCreated = meter.CreateCounter<long>("crm.workspaces.created", description: "Workspaces created.");
        _mails = meter.CreateCounter<long>("crm.mails", description: "Mails the SMTP server accepted or refused for good, by result.");
    }

    public void Login(string result) => _logins.Add(1, new KeyValuePair<string, object?>("result", result));

    public void SessionCreated(string reason) => _sessionsCreated.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void SessionsEnded(string reason, long count = 1)
    {
        if (count > 0)
        {
            _sessionsEnded.Add(count, new KeyValuePair<string, object?>("reason", reason));
        }
    }

    public void SessionRenewed() => _sessionsRenewed.Add(1);

    public void SessionsPurged(long count) => _sessionsPurged.Add(count);

    public void WorkspaceCreated() => _workspacesCreated.Add(1);

    public void MailSent() => _mails.Add(1, new KeyValuePair<string, object?>("result", "sent"));

    public void MailRefused() => _mails.Add(1, new KeyValuePair<string, object?>("result", "refused"));
}
