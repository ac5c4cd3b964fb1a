using System.Data.Common;

namespace CrmToolkit.Api.Infrastructure.Mail;

/// <summary>
/// The SMTP server from <c>ConnectionStrings:mail</c>: <c>Endpoint=smtp://host:port</c> (STARTTLS when the server offers
/// it) or <c>smtps://</c> (TLS from the start), with optional <c>Username</c> and <c>Password</c>.
/// </summary>
public sealed record SmtpEndpoint(Uri Address, string? Username, string? Password)
{
    public const string ConnectionName = "mail";

    /// <summary>The configured server, or <c>null</c> when there is none; throws for a connection string that names none.</summary>
    public static SmtpEndpoint? FromConfiguration(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null;
        }

        var parts = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!parts.TryGetValue("Endpoint", out var endpoint)
            || !Uri.TryCreate(endpoint?.ToString(), UriKind.Absolute, out var address)
            || address.Scheme is not ("smtp" or "smtps"))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionName} needs 'Endpoint=smtp://host:port' (or smtps://), optionally with ';Username=...;Password=...'.");
        }

        return new SmtpEndpoint(address, Value(parts, "Username"), Value(parts, "Password"));
    }

    private static string? Value(DbConnectionStringBuilder parts, string key) =>
        parts.TryGetValue(key, out var value) && value?.ToString() is { Length: > 0 } text ? text : null;
}
