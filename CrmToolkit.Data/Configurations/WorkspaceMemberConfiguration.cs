using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

internal sealed class WorkspaceMemberConfiguration : IEntityTypeConfiguration<WorkspaceMember>
{
    public void Configure(EntityTypeBuilder<WorkspaceMember> builder)
    {
        builder.ToTable("workspace_members", t => t.HasCheckConstraint(
            "workspace_members_role_check", "role IN ('owner', 'admin', 'member')"));
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(m => m.Role)
            .HasDefaultValueSql("'member'")
            .HasSentinel(WorkspaceRole.Member);
        builder.HasCreatedAt(m => m.JoinedAt);

        builder.HasOne<User>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);

        // Serves the workspace_id foreign key (leading column) and "is U a member of W".
        builder.HasIndex(m => new { m.WorkspaceId, m.UserId }).IsUnique()
            .HasDatabaseName("workspace_members_workspace_id_user_id_unique");
        builder.HasIndex(m => m.UserId).HasDatabaseName("workspace_members_user_id_idx");
    }
}
