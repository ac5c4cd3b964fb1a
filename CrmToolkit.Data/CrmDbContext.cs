using System.Linq.Expressions;
using CrmToolkit.Data.Configurations;
using CrmToolkit.Data.Entities;
using CrmToolkit.Data.Schema;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CrmToolkit.Data;

/// <summary>
/// The CRM model. A context is bound to at most one workspace (<see cref="CurrentWorkspaceId"/>), set by
/// <see cref="WorkspaceDbContextFactory"/> for each lease from the pool and cleared when the lease ends.
/// The core's tables, and those of every feature package added with <see cref="CrmPackages.AddCrmPackage"/>.
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
public class CrmDbContext(DbContextOptions<CrmDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    private readonly IReadOnlyList<System.Reflection.Assembly> _packages = CrmPackages.Of(options);

    /// <summary>
    /// The name of the workspace query filter. No API code lifts it: cross-workspace reads go through
    /// <see cref="CrossWorkspace"/>'s database functions. Tests and tools may name it to lift it on purpose.
    /// </summary>
    public const string WorkspaceFilter = "Workspace";

    public DbSet<User> Users => Set<User>();
    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<WorkspaceMember> WorkspaceMembers => Set<WorkspaceMember>();
    public DbSet<Session> Sessions => Set<Session>();
    public DbSet<LoginFailure> LoginFailures => Set<LoginFailure>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<MemberSignIn> MemberSignIns => Set<MemberSignIn>();
    public DbSet<EmailToken> EmailTokens => Set<EmailToken>();
    public DbSet<OutboxMail> MailOutbox => Set<OutboxMail>();
    public DbSet<PasswordResetRequest> PasswordResetRequests => Set<PasswordResetRequest>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();

    /// <summary>ASP.NET Core Data Protection's key ring (<c>PersistKeysToDbContext</c>), shared by every API instance.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>The workspace this context is bound to, or <c>null</c> (then workspace tables read as empty).</summary>
    public WorkspaceId? CurrentWorkspaceId { get; internal set; }

    /// <summary>The user this context acts for, or <c>null</c> (then <see cref="WorkspaceUsers"/> shows only the workspace's members).</summary>
    public Guid? CurrentUserId { get; internal set; }

    /// <summary>Whether this context sends a workspace or a user to row-level security (<see cref="RowLevelSecurityInterceptor"/>).</summary>
    internal bool IsBound => CurrentWorkspaceId is not null || CurrentUserId is not null;

    /// <summary>
    /// The users this context may see: the members of its workspace, and its own user. Join on it to show who did what;
    /// <see cref="Users"/> shows a context only its own user on Citus, whose row-level security cannot look at members.
    /// </summary>
    public IQueryable<WorkspaceUser> WorkspaceUsers() => FromExpression(() => WorkspaceUsers());

    // The database functions that cross workspaces, called only through CrossWorkspace.
    internal IQueryable<SessionRow> SessionOf(string workspaceId, string sessionId) => FromExpression(() => SessionOf(workspaceId, sessionId));

    internal IQueryable<MembershipRow> MyWorkspacesPage(string workspaceId, string sessionId, DateTimeOffset? afterJoinedAt, string? afterWorkspaceId, int limit) =>
        FromExpression(() => MyWorkspacesPage(workspaceId, sessionId, afterJoinedAt, afterWorkspaceId, limit));

    internal IQueryable<MembershipRow> MyMembership(string workspaceId, string sessionId, string targetWorkspaceId) =>
        FromExpression(() => MyMembership(workspaceId, sessionId, targetWorkspaceId));

    internal IQueryable<InvitationRow> MyInvitations(string workspaceId, string sessionId) => FromExpression(() => MyInvitations(workspaceId, sessionId));

    internal IQueryable<LoginUserRow> LoginUser(string email) => FromExpression(() => LoginUser(email));

    internal IQueryable<MembershipRow> LoginWorkspace(Guid userId, string? workspaceId) => FromExpression(() => LoginWorkspace(userId, workspaceId));

    /// <summary>
    /// <c>crm_email_key</c>: how PostgreSQL compares emails (<c>lower</c> of the trimmed text, as the unique index on
    /// <c>lower(email)</c> does). Comparing with it, not with .NET's lower-casing, keeps every lookup and limit on one
    /// notion of "the same email".
    /// </summary>
    public static string EmailKey(string email) => throw new InvalidOperationException("Translated to SQL only.");

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
        CurrentUserId = null;
        base.Dispose();
    }

    public override ValueTask DisposeAsync()
    {
        CurrentWorkspaceId = null;
        CurrentUserId = null;
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
        configurationBuilder.Properties<InvitationStatus>()
            .HaveConversion<InvitationStatusConverter>();
        configurationBuilder.Properties<EmailTokenPurpose>()
            .HaveConversion<EmailTokenPurposeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CrmDbContext).Assembly);
        foreach (var package in _packages)
        {
            modelBuilder.ApplyConfigurationsFromAssembly(package);
        }

        // The SECURITY DEFINER functions that cross workspaces return rows of these (created by the migrations).
        modelBuilder.Entity<SessionRow>().HasNoKey().ToTable((string?)null);
        modelBuilder.Entity<MembershipRow>().HasNoKey().ToTable((string?)null);
        modelBuilder.Entity<InvitationRow>().HasNoKey().ToTable((string?)null);
        modelBuilder.Entity<LoginUserRow>().HasNoKey().ToTable((string?)null);
        modelBuilder.Entity<WorkspaceUser>().HasNoKey().ToTable((string?)null);
        modelBuilder.HasDbFunction(() => WorkspaceUsers()).HasName("crm_workspace_users");
        modelBuilder.HasDbFunction(() => SessionOf(default!, default!)).HasName("crm_session");
        modelBuilder.HasDbFunction(() => MyWorkspacesPage(default!, default!, default, default, default)).HasName("crm_my_workspaces_page");
        modelBuilder.HasDbFunction(() => MyMembership(default!, default!, default!)).HasName("crm_my_membership");
        modelBuilder.HasDbFunction(() => MyInvitations(default!, default!)).HasName("crm_my_invitations");
        modelBuilder.HasDbFunction(() => LoginUser(default!)).HasName("crm_login_user");
        modelBuilder.HasDbFunction(() => LoginWorkspace(default, default)).HasName("crm_login_workspace");
        modelBuilder.HasDbFunction(() => EmailKey(default!)).HasName("crm_email_key");

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

    private sealed class EmailTokenPurposeConverter() : ValueConverter<EmailTokenPurpose, string>(
        purpose => purpose == EmailTokenPurpose.VerifyEmail ? "verify_email" : "password_reset",
        value => value == "verify_email" ? EmailTokenPurpose.VerifyEmail : EmailTokenPurpose.PasswordReset);

    private sealed class InvitationStatusConverter() : ValueConverter<InvitationStatus, string>(
        status => status.ToString().ToLowerInvariant(),
        value => Enum.Parse<InvitationStatus>(value, true));
}
