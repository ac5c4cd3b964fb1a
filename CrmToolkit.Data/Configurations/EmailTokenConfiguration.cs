using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

internal sealed class EmailTokenConfiguration : IEntityTypeConfiguration<EmailToken>
{
    public void Configure(EntityTypeBuilder<EmailToken> builder)
    {
        builder.ToTable("email_tokens", t => t.HasCheckConstraint("email_tokens_purpose_check", "purpose IN ('verify_email', 'password_reset')"));
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).HasMaxLength(64);
        builder.Property(t => t.Purpose).HasMaxLength(20);
        builder.Property(t => t.Email).HasMaxLength(255);
        builder.HasCreatedAt(t => t.CreatedAt);
        builder.HasOne<User>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        // The resend allowance counts a user's recent tokens of one purpose.
        builder.HasIndex(t => new { t.UserId, t.Purpose, t.CreatedAt }).HasDatabaseName("email_tokens_user_id_purpose_created_at_idx");
    }
}
