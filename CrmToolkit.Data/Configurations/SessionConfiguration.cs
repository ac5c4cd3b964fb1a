using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

internal sealed class SessionConfiguration : IEntityTypeConfiguration<Session>
{
    public void Configure(EntityTypeBuilder<Session> builder)
    {
        builder.ToTable("sessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).HasMaxLength(255).ValueGeneratedNever();
        builder.HasCreatedAt(s => s.CreatedAt);

        builder.HasOne<User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);

        // workspace_id is served by the primary key (workspace_id, id), which the marker makes.
        builder.HasIndex(s => s.UserId).HasDatabaseName("sessions_user_id_idx");
        builder.HasIndex(s => s.ExpiresAt).HasDatabaseName("sessions_expires_at_idx");
    }
}
