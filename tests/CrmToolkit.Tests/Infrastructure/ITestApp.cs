using Npgsql;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>A running API and its database, whichever AppHost started them (one PostgreSQL, or a Citus cluster).</summary>
public interface ITestApp
{
    /// <summary>A client of its own (its own loopback address, so its own rate-limit partition).</summary>
    ApiClient NewClient();

    /// <summary>Owner connections (bypass row-level security): for arranging and inspecting data.</summary>
    NpgsqlDataSource Database { get; }
}
