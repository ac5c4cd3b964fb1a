using System.Security.Cryptography;
using System.Text;
using CrmToolkit.MigrationWorker;
using CrmToolkit.Tests.Deployment;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace CrmToolkit.Tests.Foundation;

/// <summary>
/// A database never runs a migration twice, so an applied migration whose SQL changed would make a fresh database
/// differ from one that migrated before the change. Each migration's SQL is pinned by its SHA-256 in
/// <c>migrations.sha256</c>. Needs no database.
/// </summary>
public sealed class MigrationSqlTests
{
    private static readonly string[] ListPath = ["tests", "CrmToolkit.Tests", "Foundation", "migrations.sha256"];

    [Fact]
    public void NoMigrationsSqlChangedSinceItWasRecorded()
    {
        var recorded = Recorded();
        var changed = MigrationSql.Up()
            .Where(m => recorded.TryGetValue(m.Id, out var hash) && hash != MigrationSql.Sha256(m.Sql))
            .Select(m => $"{m.Id}: its SQL changed (recorded {recorded[m.Id]}, now {MigrationSql.Sha256(m.Sql)}).")
            .ToList();

        Assert.True(changed.Count == 0, string.Join("\n", changed) + """

            A database that applied a migration never runs it again: leave its SQL (and the Schema/ helpers it calls) as it
            was, and change the schema in a new migration: dotnet ef migrations add <Name> --project CrmToolkit.MigrationWorker.
            If an EF Core or Npgsql upgrade only writes the same schema differently, compare the SQL
            (dotnet ef migrations script --project CrmToolkit.MigrationWorker) and record the new hash.
            """);
    }

    [Fact]
    public void EveryMigrationIsRecordedDeliberately()
    {
        var recorded = Recorded();
        var migrations = MigrationSql.Up();

        var missing = migrations.Where(m => !recorded.ContainsKey(m.Id)).Select(m => $"{m.Id} {MigrationSql.Sha256(m.Sql)}").ToList();
        Assert.True(missing.Count == 0,
            $"Not in {Path.Combine(ListPath)}: once the migration is final (its SQL is then fixed), add the line(s)\n" + string.Join("\n", missing));

        var gone = recorded.Keys.Except(migrations.Select(m => m.Id)).ToList();
        Assert.True(gone.Count == 0,
            $"{Path.Combine(ListPath)} names migrations the assembly no longer has: {string.Join(", ", gone)}. An applied migration is never removed or renamed.");
    }

    private static Dictionary<string, string> Recorded() =>
        File.ReadAllLines(Repository.Path(ListPath))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(parts => parts[0], parts => parts[1], StringComparer.Ordinal);
}

/// <summary>The SQL each migration's <c>Up</c> runs, generated as <c>dotnet ef</c> does, without a database.</summary>
internal static class MigrationSql
{
    /// <summary>
    /// Every migration of the assembly, oldest first, with the commands the migrator runs for it minus its history row
    /// (which names the EF Core version).
    /// </summary>
    public static IReadOnlyList<(string Id, string Sql)> Up()
    {
        using var db = new CrmDbContextFactory().CreateDbContext([]);
        var assembly = db.GetService<IMigrationsAssembly>();
        var generator = db.GetService<IMigrationsSqlGenerator>();
        var modelInitializer = db.GetService<IModelRuntimeInitializer>();
        return assembly.Migrations
            .Select(m =>
            {
                var migration = assembly.CreateMigration(m.Value, db.Database.ProviderName!);
                var commands = generator.Generate(migration.UpOperations, modelInitializer.Initialize(migration.TargetModel));
                return (m.Key, string.Concat(commands.Select(c => c.CommandText)));
            })
            .ToList();
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 text with <c>\n</c> line endings, the same on every machine.</summary>
    public static string Sha256(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
}
