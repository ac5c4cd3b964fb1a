using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

internal sealed class OutboxMailConfiguration : IEntityTypeConfiguration<OutboxMail>
{
    public void Configure(EntityTypeBuilder<OutboxMail> builder)
    {
        builder.ToTable("mail_outbox");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.ToAddress).HasMaxLength(255);
        builder.Property(m => m.Subject).HasMaxLength(255);
        builder.HasCreatedAt(m => m.CreatedAt);
        builder.Property(m => m.NextAttemptAt).HasDefaultValueSql("now()");
        // The sender's question: which mails are due? Only those still to be tried.
        builder.HasIndex(m => m.NextAttemptAt).HasDatabaseName("mail_outbox_due_idx").HasFilter("failed_at IS NULL");
    }
}
