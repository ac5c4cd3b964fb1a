using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using CrmToolkit.MigrationWorker;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace CrmToolkit.Tests.Data;

/// <summary>
/// The data layer's automatic isolation, in process against the real database: the named query filter,
/// stamping, write enforcement, and a pooled context that forgets its workspace.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class WorkspaceIsolationTests(AppFixture app)
{
    private PooledDbContextFactory<CrmDbContext> Pool(int size = 4) =>
        new(CrmModel.Options(app.ConnectionString).Options, size);

    private async Task<(WorkspaceId A, WorkspaceId B, Guid UserA, Guid UserB)> TwoWorkspacesAsync()
    {
        var userA = await app.Database.InsertUserAsync();
        var userB = await app.Database.InsertUserAsync();
        var a = await app.Database.InsertWorkspaceAsync(userA);
        var b = await app.Database.InsertWorkspaceAsync(userB);
        await app.Database.ExecuteAsync("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner'), ($3, $4, 'owner')", a, userA, b, userB);
        return (WorkspaceId.Parse(a), WorkspaceId.Parse(b), userA, userB);
    }

    [Fact]
    public void EveryWorkspaceScopedEntityHasTheNamedWorkspaceFilter()
    {
        using var db = Pool().CreateDbContext();
        var scoped = db.Model.GetEntityTypes().Where(e => typeof(IWorkspaceScoped).IsAssignableFrom(e.ClrType)).ToList();

        Assert.Contains(scoped, e => e.ClrType == typeof(WorkspaceMember));
        Assert.Contains(scoped, e => e.ClrType == typeof(Session));
        Assert.All(scoped, e => Assert.Contains(e.GetDeclaredQueryFilters(), f => f.Key == CrmDbContext.WorkspaceFilter));
    }

    [Fact]
    public async Task AContextReadsOnlyItsWorkspacesRows()
    {
        var (a, b, userA, _) = await TwoWorkspacesAsync();
        await using var db = new WorkspaceDbContextFactory(Pool(), new CurrentSession()).CreateDbContext(a);

        var members = await db.WorkspaceMembers.ToListAsync();

        Assert.NotEmpty(members);
        Assert.All(members, m => Assert.Equal(a, m.WorkspaceId));
        Assert.Contains(members, m => m.UserId == userA);
        Assert.Equal(0, await db.WorkspaceMembers.CountAsync(m => m.WorkspaceId == b));
    }

    [Fact]
    public async Task AContextBoundToNoWorkspaceReadsNothingAndWritesNothing()
    {
        var (a, _, userA, _) = await TwoWorkspacesAsync();
        await using var db = new WorkspaceDbContextFactory(Pool(), new CurrentSession()).CreateDbContext();

        Assert.Equal(0, await db.WorkspaceMembers.CountAsync());
        Assert.Equal(0, await db.Sessions.CountAsync());

        db.Sessions.Add(new Session { Id = Guid.NewGuid().ToString("N"), UserId = userA, WorkspaceId = a, ExpiresAt = DateTimeOffset.UtcNow.AddDays(1) });
        await Assert.ThrowsAsync<CrossWorkspaceWriteException>(() => db.SaveChangesAsync());
    }

    [Fact]
    public async Task AnInsertWithoutAWorkspaceIsStampedWithTheCurrentOne()
    {
        var (a, _, userA, _) = await TwoWorkspacesAsync();
        await using var db = new WorkspaceDbContextFactory(Pool(), new CurrentSession()).CreateDbContext(a);
        var id = Guid.NewGuid().ToString("N");

        db.Sessions.Add(new Session { Id = id, UserId = userA, ExpiresAt = DateTimeOffset.UtcNow.AddDays(1) });
        await db.SaveChangesAsync();

        Assert.Equal(a.Value, await app.Database.ScalarAsync<string>("SELECT workspace_id FROM sessions WHERE id = $1", id));
    }

    [Fact]
    public async Task WritingAnotherWorkspacesRowThrowsBeforeAnySqlIsSent()
    {
        var (a, b, _, userB) = await TwoWorkspacesAsync();
        var factory = new WorkspaceDbContextFactory(Pool(), new CurrentSession());
        var id = Guid.NewGuid().ToString("N");

        await using (var db = factory.CreateDbContext(a))
        {
            db.Sessions.Add(new Session { Id = id, UserId = userB, WorkspaceId = b, ExpiresAt = DateTimeOffset.UtcNow.AddDays(1) });
            await Assert.ThrowsAsync<CrossWorkspaceWriteException>(() => db.SaveChangesAsync());
        }

        Assert.Equal(0L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM sessions WHERE id = $1", id));

        // B's owner row, attached by hand (a filtered query would never return it): update and delete both throw.
        var rowOfB = await app.Database.ScalarAsync<Guid>("SELECT id FROM workspace_members WHERE workspace_id = $1", b.Value);
        await using (var db = factory.CreateDbContext(a))
        {
            var member = new WorkspaceMember { Id = rowOfB, WorkspaceId = b, UserId = userB, Role = WorkspaceRole.Owner };
            db.Attach(member);
            member.Role = WorkspaceRole.Member;
            await Assert.ThrowsAsync<CrossWorkspaceWriteException>(() => db.SaveChangesAsync());

            db.ChangeTracker.Clear();
            db.Remove(new WorkspaceMember { Id = rowOfB, WorkspaceId = b, UserId = userB });
            await Assert.ThrowsAsync<CrossWorkspaceWriteException>(() => db.SaveChangesAsync());
        }

        Assert.Equal("owner", await app.Database.ScalarAsync<string>("SELECT role FROM workspace_members WHERE id = $1", rowOfB));
    }

    [Fact]
    public async Task MovingARowToAnotherWorkspaceIsRefusedBeforeSql()
    {
        var (a, b, _, _) = await TwoWorkspacesAsync();
        await using var db = new WorkspaceDbContextFactory(Pool(), new CurrentSession()).CreateDbContext(a);
        var member = await db.WorkspaceMembers.FirstAsync();

        // workspace_id leads the key, so EF itself refuses; were it not, CrossWorkspaceWriteException would.
        Assert.ThrowsAny<InvalidOperationException>(() =>
        {
            member.WorkspaceId = b;
            db.SaveChanges();
        });
        Assert.Equal(a.Value, await app.Database.ScalarAsync<string>("SELECT workspace_id FROM workspace_members WHERE id = $1", member.Id));
    }

    [Fact]
    public async Task TheScopesContextIsBoundToItsSignedInSessionAndToNothingWithout()
    {
        var (a, _, userA, _) = await TwoWorkspacesAsync();
        var session = new CurrentSession();
        var factory = new WorkspaceDbContextFactory(Pool(), session);

        await using (var anonymous = factory.CreateDbContext())
        {
            Assert.Null(anonymous.CurrentWorkspaceId);
            Assert.Empty(await anonymous.WorkspaceMembers.ToListAsync());
        }

        session.SignIn(new SessionRow { SessionId = "s", UserId = userA, WorkspaceId = a, Email = "", Name = "", WorkspaceName = "" }, DateTimeOffset.UtcNow);
        await using var signedIn = factory.CreateDbContext();
        Assert.Equal((a, userA), (signedIn.CurrentWorkspaceId, signedIn.CurrentUserId));
        Assert.Equal(userA, Assert.Single(await signedIn.WorkspaceMembers.ToListAsync()).UserId);
        Assert.Throws<InvalidOperationException>(() => session.SignIn(session.Session, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task APooledContextForgetsItsWorkspaceWhenReturned()
    {
        var (a, _, _, _) = await TwoWorkspacesAsync();
        var pool = Pool(size: 1);

        CrmDbContext first;
        await using (first = new WorkspaceDbContextFactory(pool, new CurrentSession()).CreateDbContext(a))
        {
            Assert.Equal(a, first.CurrentWorkspaceId);
            Assert.NotEqual(0, await first.WorkspaceMembers.CountAsync());
        }

        // Leased straight from the pool, without the scoped factory: the same instance, with no workspace.
        await using var second = pool.CreateDbContext();
        Assert.Same(first, second);
        Assert.Null(second.CurrentWorkspaceId);
        Assert.Equal(0, await second.WorkspaceMembers.CountAsync());
    }
}
