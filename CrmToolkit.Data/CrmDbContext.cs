using CrmToolkit.Data.Entities;
using Microsoft.EntityFrameworkCore;
using CrmToolkit.Data.Configurations;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CrmToolkit.Data;

public class CrmDbContext(DbContextOptions<CrmDbContext> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();
    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<WorkspaceMember> WorkspaceMembers => Set<WorkspaceMember>();
    public DbSet<Session> Sessions => Set<Session>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<WorkspaceId>()
            .HaveConversion<WorkspaceIdConverter>()
            .HaveMaxLength(WorkspaceId.MaxLength);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CrmDbContext).Assembly);
        modelBuilder.UseSeedNamingConventions();
    }

    private sealed class WorkspaceIdConverter() : ValueConverter<WorkspaceId, string>(
        id => id.Value,
        value => WorkspaceId.Parse(value, null));
}
