using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

/// <summary>
/// A workspace table like a package's: the marker gives it the workspace key and foreign key, the query filter,
/// write enforcement and row-level security. The migration adds what EF cannot model: one pending invitation per
/// workspace and email (case-insensitively), and the invitee's lookup by email.
/// </summary>
internal sealed class InvitationConfiguration : IEntityTypeConfiguration<Invitation>
{
    public void Configure(EntityTypeBuilder<Invitation> builder)
    {
        builder.ToTable("invitations", t =>
        {
            t.HasCheckConstraint("invitations_role_check", "role IN ('owner', 'admin', 'member')");
            t.HasCheckConstraint("invitations_status_check", "status IN ('pending', 'accepted', 'declined', 'revoked', 'replaced')");
        });
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(i => i.Email).HasMaxLength(255);
        builder.Property(i => i.Status).HasMaxLength(20).HasDefaultValueSql("'pending'").HasSentinel(InvitationStatus.Pending);
        builder.HasCreatedAt(i => i.CreatedAt);

        builder.HasOne<User>().WithMany().HasForeignKey(i => i.InvitedBy).OnDelete(DeleteBehavior.Cascade);
        // Also the per-inviter allowance across workspaces.
        builder.HasIndex(i => new { i.InvitedBy, i.CreatedAt }).HasDatabaseName("invitations_invited_by_idx");

        // Leads with workspace_id (it also serves the workspace foreign key): the list and the hourly allowance.
        builder.HasIndex(i => new { i.WorkspaceId, i.CreatedAt }).HasDatabaseName("invitations_workspace_created_at_idx");
    }
}
