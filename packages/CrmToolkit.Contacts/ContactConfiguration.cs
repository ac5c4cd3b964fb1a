using CrmToolkit.Data.Configurations;
using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Contacts;

/// <summary>
/// A package table: only what is particular to contacts. The workspace foreign key (cascade), the query
/// filter, stamping, write enforcement and row-level security come from <see cref="IWorkspaceScoped"/>.
/// </summary>
internal sealed class ContactConfiguration : IEntityTypeConfiguration<Contact>
{
    public void Configure(EntityTypeBuilder<Contact> builder)
    {
        builder.ToTable("contacts");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(c => c.FirstName).HasMaxLength(100);
        builder.Property(c => c.LastName).HasMaxLength(100);
        builder.Property(c => c.Email).HasMaxLength(255);
        builder.Property(c => c.Phone).HasMaxLength(50);
        builder.Property(c => c.Company).HasMaxLength(255);
        builder.Property(c => c.Notes).HasColumnType("text");
        builder.HasCreatedAt(c => c.CreatedAt);
        builder.HasUpdatedAt(c => c.UpdatedAt);

        builder.HasOne<User>().WithMany().HasForeignKey(c => c.CreatedBy).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(c => c.CreatedBy).HasDatabaseName("contacts_created_by_idx");

        // Leads with workspace_id (it also serves the workspace foreign key) and is the list order, so a page
        // of contacts is one ordered index range scan (last names sort NULLS LAST, PostgreSQL's default).
        builder.HasIndex(c => new { c.WorkspaceId, c.LastName, c.FirstName, c.Id }).HasDatabaseName("contacts_workspace_name_idx");
    }
}
