using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

internal sealed class LoginFailureConfiguration : IEntityTypeConfiguration<LoginFailure>
{
    public void Configure(EntityTypeBuilder<LoginFailure> builder)
    {
        builder.ToTable("login_failures");
        builder.HasKey(f => f.Id);
        builder.Property(f => f.Id).UseIdentityAlwaysColumn();
        builder.Property(f => f.AccountKey).HasMaxLength(255);
        builder.Property(f => f.ClientAddress).HasMaxLength(45).HasDefaultValue("");
        builder.HasCreatedAt(f => f.FailedAt);
        builder.HasIndex(f => new { f.AccountKey, f.FailedAt }).HasDatabaseName("login_failures_account_key_failed_at_idx");
    }
}
