using System.ComponentModel.DataAnnotations;
using Npgsql;

namespace CrmToolkit.Data;

/// <summary>The <c>Crm:Data</c> configuration section, and the connection string <c>ConnectionStrings:crm</c>.</summary>
public sealed class CrmDataOptions
{
    public const string Section = "Crm:Data";

    /// <summary>From <c>ConnectionStrings:crm</c> (the AppHost sets it).</summary>
    [Required(ErrorMessage = "The connection string 'ConnectionStrings:crm' is not configured.")]
    public string? ConnectionString { get; set; }

    /// <summary>Npgsql's <c>Max Auto Prepare</c> unless the connection string sets it; 0 turns automatic preparation off.</summary>
    [Range(0, 1000)]
    public int MaxAutoPrepare { get; set; } = 64;

    /// <summary>How long a request waits for a pooled connection (or to connect) before failing.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ConnectionTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>PostgreSQL's <c>statement_timeout</c> for every connection.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a transient failure (a dropped connection, a restart); 0 retries nothing.</summary>
    [Range(0, 10)]
    public int MaxRetryCount { get; set; } = 3;

    /// <summary>The longest pause between two retries.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The database is a Citus coordinator (the AppHost sets it with <c>Postgres:CitusWorkers</c>). The workspace and user
    /// then travel as <c>SET LOCAL</c>, the only settings Citus passes on to the workers (<see cref="RowLevelSecurityInterceptor"/>);
    /// the readiness check fails while this disagrees with the database.
    /// </summary>
    public bool Citus { get; set; }

    /// <summary>Overrides the connection string's <c>Maximum Pool Size</c> when set.</summary>
    [Range(1, 10_000)]
    public int? MaxPoolSize { get; set; }

    /// <summary>
    /// The connection string with these options applied. They win over the connection string's <c>Timeout</c>,
    /// <c>Maximum Pool Size</c> (when set) and <c>statement_timeout</c>; a non-zero <c>Max Auto Prepare</c> in the
    /// connection string wins over <see cref="MaxAutoPrepare"/>.
    /// </summary>
    internal string NpgsqlConnectionString()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString)
        {
            // Bounded waits everywhere: for a pooled connection, and for any one statement (server-side).
            Timeout = (int)Math.Ceiling(ConnectionTimeout.TotalSeconds),
        };

        // Prepared statements for the hot, repeated queries, without changing a line of them.
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = MaxAutoPrepare;
        }

        var settings = $"-c statement_timeout={(long)StatementTimeout.TotalMilliseconds}";
        if (Citus)
        {
            // Citus passes a transaction's SET LOCAL commands on to the workers it uses with this setting only.
            settings += " -c citus.propagate_set_commands=local";
        }

        builder.Options = string.IsNullOrEmpty(builder.Options) ? settings : $"{builder.Options} {settings}";
        if (MaxPoolSize is { } maxPoolSize)
        {
            builder.MaxPoolSize = maxPoolSize;
        }

        return builder.ConnectionString;
    }
}
