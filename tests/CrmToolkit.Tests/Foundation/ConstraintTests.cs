using CrmToolkit.Tests.Infrastructure;
using System.Security.Cryptography;
using Npgsql;

namespace CrmToolkit.Tests.Foundation;

/// <summary>The database itself refuses what the design forbids, whoever writes to it.</summary>
[Collection(AppCollection.Name)]
public sealed class ConstraintTests(AppFixture app)
{
    [Theory]
    [InlineData("abcdefghi", PostgresErrorCodes.CheckViolation)] // 9
    [InlineData("abcdefghijklmnopqrstu", PostgresErrorCodes.StringDataRightTruncation)] // 21: varchar(20)
    [InlineData("abcdefghij-", PostgresErrorCodes.CheckViolation)]
    [InlineData("abcde fghij", PostgresErrorCodes.CheckViolation)]
    [InlineData("abcdéfghijk", PostgresErrorCodes.CheckViolation)] // a Latin letter outside ASCII
    [InlineData("١٢٣٤٥٦٧٨٩٠", PostgresErrorCodes.CheckViolation)] // Arabic-Indic digits
    [InlineData("ＡＢＣＤＥＦＧＨＩＪ", PostgresErrorCodes.CheckViolation)] // full-width letters
    public async Task DatabaseRejectsAMalformedWorkspaceId(string id, string sqlState)
    {
        var user = await app.Database.InsertUserAsync();
        var state = await app.Database.FailsWithAsync(
            "INSERT INTO workspaces (id, name, created_by) VALUES ($1, 'w', $2)", id, user);
        Assert.Equal(sqlState, state);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(20)]
    public async Task DatabaseAcceptsWorkspaceIdsOfTenToTwentyAsciiLettersAndDigits(int length)
    {
        var user = await app.Database.InsertUserAsync();
        var id = RandomNumberGenerator.GetString("abcXYZ0123456789", length);
        await app.Database.InsertWorkspaceAsync(user, id);
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM workspaces WHERE id = $1", id));
    }

    [Fact]
    public async Task DatabaseRejectsASecondUserWithTheSameEmailInOtherCase()
    {
        var local = $"Ada.{Guid.NewGuid():N}";
        await app.Database.InsertUserAsync($"{local}@Example.com");

        var state = await app.Database.FailsWithAsync(
            "INSERT INTO users (email, password_hash, name) VALUES ($1, 'h', 'n')", $"{local.ToUpperInvariant()}@EXAMPLE.COM");

        Assert.Equal(PostgresErrorCodes.UniqueViolation, state);
    }

    [Fact]
    public async Task DatabaseRejectsADuplicateMembership()
    {
        var user = await app.Database.InsertUserAsync();
        var workspace = await app.Database.InsertWorkspaceAsync(user);
        const string insert = "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner')";
        await app.Database.ExecuteAsync(insert, workspace, user);

        Assert.Equal(PostgresErrorCodes.UniqueViolation, await app.Database.FailsWithAsync(insert, workspace, user));
    }

    [Fact]
    public async Task DatabaseRejectsAnUnknownRoleAndDefaultsToMember()
    {
        var user = await app.Database.InsertUserAsync();
        var workspace = await app.Database.InsertWorkspaceAsync(user);

        var state = await app.Database.FailsWithAsync(
            "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'superuser')", workspace, user);
        Assert.Equal(PostgresErrorCodes.CheckViolation, state);

        var role = await app.Database.ScalarAsync<string>(
            "INSERT INTO workspace_members (workspace_id, user_id) VALUES ($1, $2) RETURNING role", workspace, user);
        Assert.Equal("member", role);
    }

    [Fact]
    public async Task UpdatedAtMovesOnEveryUpdateWithoutTheCallerSettingIt()
    {
        var user = await app.Database.InsertUserAsync();
        var workspace = await app.Database.InsertWorkspaceAsync(user);

        foreach (var (table, id) in new (string, object)[] { ("users", user), ("workspaces", workspace) })
        {
            var before = await app.Database.ScalarAsync<DateTime>($"SELECT updated_at FROM {table} WHERE id = $1", id);
            var after = await app.Database.ScalarAsync<DateTime>($"UPDATE {table} SET name = 'Renamed' WHERE id = $1 RETURNING updated_at", id);
            Assert.True(after > before, $"{table}.updated_at {after:O} should be later than {before:O}");
        }
    }

    [Fact]
    public async Task DeletingAWorkspaceRemovesItsMembersAndSessions()
    {
        var user = await app.Database.InsertUserAsync();
        var workspace = await app.Database.InsertWorkspaceAsync(user);
        await app.Database.ExecuteAsync("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, 'owner')", workspace, user);
        await app.Database.ExecuteAsync(
            "INSERT INTO sessions (id, user_id, workspace_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')",
            Guid.NewGuid().ToString("N"), user, workspace);

        await app.Database.ExecuteAsync("DELETE FROM workspaces WHERE id = $1", workspace);

        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT (SELECT count(*) FROM workspace_members WHERE workspace_id = $1) + (SELECT count(*) FROM sessions WHERE workspace_id = $1)",
            workspace));
    }

    [Fact]
    public async Task AUserWhoCreatedAWorkspaceCannotBeDeleted()
    {
        var user = await app.Database.InsertUserAsync();
        await app.Database.InsertWorkspaceAsync(user);

        var state = await app.Database.FailsWithAsync("DELETE FROM users WHERE id = $1", user);

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, state);
    }

    [Fact]
    public async Task DeletingAUserRemovesTheirMembershipsAndSessions()
    {
        var owner = await app.Database.InsertUserAsync();
        var workspace = await app.Database.InsertWorkspaceAsync(owner);
        var member = await app.Database.InsertUserAsync();
        await app.Database.ExecuteAsync("INSERT INTO workspace_members (workspace_id, user_id) VALUES ($1, $2)", workspace, member);
        await app.Database.ExecuteAsync(
            "INSERT INTO sessions (id, user_id, workspace_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')",
            Guid.NewGuid().ToString("N"), member, workspace);

        await app.Database.ExecuteAsync("DELETE FROM users WHERE id = $1", member);

        Assert.Equal(0L, await app.Database.ScalarAsync<long>(
            "SELECT (SELECT count(*) FROM workspace_members WHERE user_id = $1) + (SELECT count(*) FROM sessions WHERE user_id = $1)",
            member));
        Assert.Equal(1L, await app.Database.ScalarAsync<long>("SELECT count(*) FROM workspaces WHERE id = $1", workspace));
    }
}
