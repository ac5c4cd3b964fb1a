using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> builder)
    {
        builder.ToTable("users");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(u => u.Email).HasMaxLength(255);
        builder.Property(u => u.PasswordHash).HasMaxLength(255);
        builder.Property(u => u.Name).HasMaxLength(255);
        // Accounts that exist when the column arrives start unverified, and so does a row another program inserts.
        builder.Property(u => u.EmailVerified).HasDefaultValue(false);
        builder.HasCreatedAt(u => u.CreatedAt);
        builder.HasUpdatedAt(u => u.UpdatedAt);

        // Email is unique case-insensitively: the migration creates users_email_unique on lower(email)
        // (EF cannot model an expression index). Emails keep the case the user typed.
    }
}
