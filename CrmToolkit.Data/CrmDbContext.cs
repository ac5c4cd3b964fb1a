using System.Linq.Expressions;
using CrmToolkit.Data.Configurations;
using CrmToolkit.Data.Entities;
using CrmToolkit.Data.Schema;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CrmToolkit.Data;

/// <summary>
/// The CRM model. A context is bound to at most one workspace (<see cref="CurrentWorkspaceId"/>), set by
/// <see cref="WorkspaceDbContextFactory"/> for each lease from the pool and cleared when the lease ends.
/// For every <see cref="IWorkspaceScoped"/> entity, without code in handlers:
/// <list type="bullet">
/// <item>the named query filter <see cref="WorkspaceFilter"/> returns only the current workspace's rows
/// (none when no workspace is set);</item>
/// <item>an inserted row with no workspace id gets the current one;</item>
/// <item>inserting, updating or deleting a row of another workspace throws
/// <see cref="CrossWorkspaceWriteException"/> before any SQL is sent.</item>
/// </list>
/// Reads across workspaces go through the named paths in <see cref="CrossWorkspace"/>.
/// </summary>
public class CrmDbContext(DbContextOptions<CrmDbContext> options) : DbContext(options)
{
    /// <summary>
    /// The name of the workspace query filter. No API code lifts it: cross-workspace reads go through
    /// <see cref="CrossWorkspace"/>'s database functions. Tests and tools may name it to lift it on purpose.
    /// </summary>
    public const string WorkspaceFilter = "Workspace";

    public DbSet<User> Users => Set<User>();
    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<WorkspaceMember> WorkspaceMembers => Set<WorkspaceMember>();
    public DbSet<Session> Sessions => Set<Session>();
    public DbSet<Contact> Contacts => Set<Contact>();
    public DbSet<LoginFailure> LoginFailures => Set<LoginFailure>();

    /// <summary>The workspace this context is bound to, or <c>null</c> (then workspace tables read as empty).</summary>
    public WorkspaceId? CurrentWorkspaceId { get; internal set; }

    /// <summary>The database function <c>crm_session</c>; called only through <see cref="CrossWorkspace"/>.</summary>
    internal IQueryable<SessionRow> SessionOf(string workspaceId, string sessionId) => FromExpression(() => SessionOf(workspaceId, sessionId));

    /// <summary>The database function <c>crm_memberships</c>; called only through <see cref="CrossWorkspace"/>.</summary>
    internal IQueryable<MembershipRow> MembershipsOf(Guid userId) => FromExpression(() => MembershipsOf(userId));

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        EnforceWorkspaceOnWrites();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        EnforceWorkspaceOnWrites();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    // A pooled context is "disposed" back into the pool: forget the workspace so the next lease never
    // inherits it, even if it is leased without going through WorkspaceDbContextFactory.
    public override void Dispose()
    {
        CurrentWorkspaceId = null;
        base.Dispose();
    }

    public override ValueTask DisposeAsync()
    {
        CurrentWorkspaceId = null;
        return base.DisposeAsync();
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<WorkspaceId>()
            .HaveConversion<WorkspaceIdConverter>()
            .HaveMaxLength(WorkspaceId.MaxLength);
        configurationBuilder.Properties<WorkspaceRole>()
            .HaveConversion<WorkspaceRoleConverter>()
            .HaveMaxLength(50);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CrmDbContext).Assembly);

        // The SECURITY DEFINER functions that cross workspaces return rows of these (see CrossWorkspaceFunctions).
        modelBuilder.Entity<SessionRow>().HasNoKey().ToTable((string?)null);
        modelBuilder.Entity<MembershipRow>().HasNoKey().ToTable((string?)null);
        modelBuilder.HasDbFunction(() => SessionOf(default!, default!)).HasName("crm_session");
        modelBuilder.HasDbFunction(() => MembershipsOf(default)).HasName("crm_memberships");

        // Everything a workspace-scoped table gets from its marker alone.
        foreach (var entity in modelBuilder.Model.GetEntityTypes().Where(e => typeof(IWorkspaceScoped).IsAssignableFrom(e.ClrType)).ToList())
        {
            var builder = modelBuilder.Entity(entity.ClrType);
            // Shard-ready: workspace_id leads the primary key, so the key of every row names its workspace
            // (and EF's UPDATE/DELETE ... WHERE names it too).
            var key = entity.FindPrimaryKey()?.Properties.Select(p => p.Name).ToArray() ?? [];
            if (key.FirstOrDefault() != nameof(IWorkspaceScoped.WorkspaceId))
            {
                builder.HasKey([nameof(IWorkspaceScoped.WorkspaceId), .. key.Where(k => k != nameof(IWorkspaceScoped.WorkspaceId))]);
            }

            builder.HasOne(typeof(Workspace)).WithMany()
                .HasForeignKey(nameof(IWorkspaceScoped.WorkspaceId))
                .OnDelete(DeleteBehavior.Cascade);
            builder.HasQueryFilter(WorkspaceFilter, WorkspaceFilterFor(entity.ClrType));
            // Read by the migrations' RLS helper from the target model (see WorkspaceRowLevelSecurity).
            builder.HasAnnotation(WorkspaceRowLevelSecurity.Annotation, true);
        }

        modelBuilder.UseDrizzleNamingConventions();
    }

    // e => e.WorkspaceId == this.CurrentWorkspaceId; EF re-binds "this" to the querying context.
    private LambdaExpression WorkspaceFilterFor(Type entityType)
    {
        var entity = Expression.Parameter(entityType, "e");
        var rowWorkspace = Expression.Convert(
            Expression.Property(entity, nameof(IWorkspaceScoped.WorkspaceId)), typeof(WorkspaceId?));
        var current = Expression.Property(Expression.Constant(this), nameof(CurrentWorkspaceId));
        return Expression.Lambda(Expression.Equal(rowWorkspace, current), entity);
    }

    private void EnforceWorkspaceOnWrites()
    {
        foreach (var entry in ChangeTracker.Entries<IWorkspaceScoped>())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }

            var current = CurrentWorkspaceId
                ?? throw new CrossWorkspaceWriteException(
                    $"Cannot write {entry.Metadata.DisplayName()}: this context is bound to no workspace.");

            if (entry.State == EntityState.Added && entry.Entity.WorkspaceId == default)
            {
                entry.Entity.WorkspaceId = current;
            }

            var original = entry.State == EntityState.Added
                ? entry.Entity.WorkspaceId
                : entry.Property(e => e.WorkspaceId).OriginalValue;
            if (entry.Entity.WorkspaceId != current || original != current)
            {
                throw new CrossWorkspaceWriteException(
                    $"Cannot {entry.State.ToString().ToLowerInvariant()} a {entry.Metadata.DisplayName()} of another workspace.");
            }
        }
    }

    private sealed class WorkspaceIdConverter() : ValueConverter<WorkspaceId, string>(
        id => id.Value,
        value => WorkspaceId.Parse(value, null));

    private sealed class WorkspaceRoleConverter() : ValueConverter<WorkspaceRole, string>(
        role => RoleNames.ToDatabase(role),
        value => RoleNames.FromDatabase(value));
}

/// <summary>A write to a workspace-scoped row outside the context's workspace. Always a bug, never a client error.</summary>
public sealed class CrossWorkspaceWriteException(string message) : InvalidOperationException(message);
