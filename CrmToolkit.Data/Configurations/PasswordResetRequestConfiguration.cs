using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CrmToolkit.Data.Configurations;

internal sealed class PasswordResetRequestConfiguration : IEntityTypeConfiguration<PasswordResetRequest>
{
    public void Configure(EntityTypeBuilder<PasswordResetRequest> builder)
    {
        builder.ToTable("password_reset_requests");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).UseIdentityAlwaysColumn();
        builder.Property(r => r.EmailKey).HasMaxLength(64);
        builder.Property(r => r.ClientAddress).HasMaxLength(45);
        builder.HasCreatedAt(r => r.RequestedAt);
        builder.HasIndex(r => new { r.EmailKey, r.RequestedAt }).HasDatabaseName("password_reset_requests_email_key_requested_at_idx");
        builder.HasIndex(r => new { r.ClientAddress, r.RequestedAt }).HasDatabaseName("password_reset_requests_client_address_requested_at_idx");
    }
}
