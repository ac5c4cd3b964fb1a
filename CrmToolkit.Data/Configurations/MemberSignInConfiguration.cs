using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

/// <summary>One row per member and workspace; the key (workspace_id, user_id) leads with the workspace, as the marker wants.</summary>
internal sealed class MemberSignInConfiguration : IEntityTypeConfiguration<MemberSignIn>
{
    public void Configure(EntityTypeBuilder<MemberSignIn> builder)
    {
        builder.ToTable("member_sign_ins");
        builder.HasKey(s => s.UserId);
        builder.HasCreatedAt(s => s.SignedInAt);

        builder.HasOne<User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(s => s.UserId).HasDatabaseName("member_sign_ins_user_id_idx");
    }
}
