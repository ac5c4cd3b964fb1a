using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

/// <summary>The few column and relationship shapes that every table repeats.</summary>
public static class ModelBuilderExtensions
{
    /// <summary><c>timestamptz not null default now()</c>, set by the database on insert.</summary>
    public static PropertyBuilder<DateTimeOffset> HasCreatedAt<T>(this EntityTypeBuilder<T> builder, Expression<Func<T, DateTimeOffset>> property)
        where T : class =>
        builder.Property(property).HasDefaultValueSql("now()").ValueGeneratedOnAdd();

    /// <summary>
    /// <c>timestamptz not null default now()</c>, refreshed on every UPDATE by the crm_set_updated_at trigger
    /// (see <see cref="Schema.MigrationBuilderExtensions.CreateUpdatedAtTrigger"/>), so that no caller,
    /// EF or a TypeScript package, has to remember it. EF reads the new value back.
    /// </summary>
    public static PropertyBuilder<DateTimeOffset> HasUpdatedAt<T>(this EntityTypeBuilder<T> builder, Expression<Func<T, DateTimeOffset>> property)
        where T : class =>
        builder.Property(property).HasDefaultValueSql("now()").ValueGeneratedOnAddOrUpdate();
}
