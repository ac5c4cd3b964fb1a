using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        builder.ToTable("idempotency_keys");
        builder.HasKey(r => new { r.WorkspaceId, r.Id });
        builder.Property(r => r.Key).HasMaxLength(255);
        builder.Property(r => r.Route).HasMaxLength(255);
        builder.Property(r => r.RequestHash).HasMaxLength(64);
        builder.Property(r => r.Location).HasMaxLength(2048);
        builder.HasCreatedAt(r => r.CreatedAt);
        builder.HasOne<User>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.WorkspaceId, r.UserId, r.Route, r.Key }).IsUnique()
            .HasDatabaseName("idempotency_keys_workspace_id_user_id_route_key_unique");
        builder.HasIndex(r => new { r.WorkspaceId, r.UserId }).HasDatabaseName("idempotency_keys_workspace_id_user_id_idx");
        // The purge's question: which records are past their 24 hours?
        builder.HasIndex(r => r.CreatedAt).HasDatabaseName("idempotency_keys_created_at_idx");
    }
}
