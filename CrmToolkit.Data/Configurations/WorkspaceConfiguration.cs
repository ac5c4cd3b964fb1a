using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

internal sealed class WorkspaceConfiguration : IEntityTypeConfiguration<Workspace>
{
    public void Configure(EntityTypeBuilder<Workspace> builder)
    {
        builder.ToTable("workspaces", t => t.HasCheckConstraint(
            "workspaces_id_check",
            // COLLATE "C": the character ranges are ASCII code points whatever the database's collation.
            """(id COLLATE "C") ~ '^[A-Za-z0-9]{10,20}$'"""));
        builder.HasKey(w => w.Id);
        builder.Property(w => w.Id).ValueGeneratedNever();
        builder.Property(w => w.Name).HasMaxLength(255);
        builder.Property(w => w.Description).HasColumnType("text");
        builder.HasCreatedAt(w => w.CreatedAt);
        builder.HasUpdatedAt(w => w.UpdatedAt);

        builder.HasOne<User>().WithMany().HasForeignKey(w => w.CreatedBy).OnDelete(DeleteBehavior.Restrict);
        // Also the per-user creation allowance: workspaces a user created in the last hour.
        builder.HasIndex(w => new { w.CreatedBy, w.CreatedAt }).HasDatabaseName("workspaces_created_by_idx");
    }
}
