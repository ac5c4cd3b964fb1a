using System.Text;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Data.Configurations;

/// <summary>
/// Names columns and constraints the way the design document's Drizzle schema does, so that its
/// TypeScript packages (and drizzle-kit) see the tables they expect: snake_case columns in the order the entity
/// declares them (as the document's tables do, although workspace_id leads every workspace table's key),
/// <c>{table}_pkey</c> and <c>{table}_{column}_{target}_{targetColumn}_fk</c>.
/// Indexes and checks are named explicitly in each configuration.
/// </summary>
internal static class DrizzleNamingConventions
{
    public static void UseDrizzleNamingConventions(this ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            // Also the rows of the database functions, whose result columns are named the same way.
            var declared = entity.ClrType.GetProperties().OrderBy(p => p.MetadataToken).Select(p => p.Name).ToList();
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
                property.SetColumnOrder(declared.IndexOf(property.Name));
            }

            entity.FindPrimaryKey()?.SetName($"{entity.GetTableName()}_pkey");
        }

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            var table = entity.GetTableName();
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
