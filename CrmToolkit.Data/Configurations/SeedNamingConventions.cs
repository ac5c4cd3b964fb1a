using System.Text;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data.Configurations;

/// <summary>
/// Names columns and constraints the way the design document's Drizzle schema does, so that its
/// TypeScript packages (and drizzle-kit) see the tables they expect: snake_case columns,
/// <c>{table}_pkey</c> and <c>{table}_{column}_{target}_{targetColumn}_fk</c>.
/// Indexes and checks are named explicitly in each configuration.
/// </summary>
internal static class SeedNamingConventions
{
    public static void UseSeedNamingConventions(this ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            var table = entity.GetTableName() ?? throw new InvalidOperationException($"{entity.DisplayName()} has no table.");
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }

            entity.FindPrimaryKey()?.SetName($"{table}_pkey");
        }

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            foreach (var foreignKey in entity.GetForeignKeys())
            {
                var column = foreignKey.Properties.Single().GetColumnName();
                var target = foreignKey.PrincipalEntityType.GetTableName();
                var targetColumn = foreignKey.PrincipalKey.Properties.Single().GetColumnName();
                foreignKey.SetConstraintName($"{table}_{column}_{target}_{targetColumn}_fk");
            }
        }
    }

    internal static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }
}
