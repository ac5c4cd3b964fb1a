using System.Buffers.Text;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Bogus;
using CrmToolkit.Hosting.Postgres;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

// Bench seeder (not part of the product):
//   seed     CONNECTION WORKSPACES   fills an empty, migrated database with a fixed-seed data set
//   sessions CONNECTION COUNT DIR    replaces all sessions with COUNT fresh ones; writes DIR/tokens.txt and DIR/logins.txt
//   postgres-env                     prints shell assignments for bench/lib.sh: PGBIN, AS_PG, PG_OWN
// Shape: every workspace has MembersPerWorkspace members (the first is the owner) and ContactsPerWorkspace
// contacts; every user belongs to WorkspacesPerUser workspaces. Rows are written in workspace order with
// binary COPY, so the indexes that lead with workspace_id (as the migrations define them) grow by appending.
const int Seed = 20261126;
const int MembersPerWorkspace = 10;
const int ContactsPerWorkspace = 20;
const int WorkspacesPerUser = 4;
const string BenchPassword = "bench password";
const string S3Marker = "bench-s3";

if (args is ["postgres-env"])
{
    return PostgresEnv();
}

if (args.Length < 3)
{
    Console.Error.WriteLine("usage: seed CONNECTION WORKSPACES | sessions CONNECTION COUNT DIR | postgres-env");
    return 2;
}

// Bulk work: no client-side command timeout (COPY of millions of rows, index builds).
await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(args[1]) { CommandTimeout = 0 }.ConnectionString);
return args[0] switch
{
    "seed" => await SeedAsync(dataSource, int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)),
    "sessions" => await SessionsAsync(dataSource, int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), args[3]),
    _ => 2,
};

// The AppHost's decisions, for the bench scripts to eval: the server's bin folder (PGBIN), and the commands that
// run a program as the server's user and give that user a folder (AS_PG, PG_OWN: arrays, empty when not root).
static int PostgresEnv()
{
    try
    {
        var binaries = LocalPostgresBinaries.FromEnvironment();
        var user = OsUser.FromEnvironment();
        Console.WriteLine($"PGBIN={ShellQuote(binaries.BinDirectory)}");
        Console.WriteLine($"AS_PG=({string.Join(' ', user.CommandPrefix.Select(ShellQuote))})");
        Console.WriteLine($"PG_OWN=({string.Join(' ', user.OwnPrefix.Select(ShellQuote))})");
        return 0;
    }
    catch (InvalidOperationException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 1;
    }
}

static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

static string WorkspaceIdOf(int w) => $"bench{w:D9}";
static int UsersFor(int workspaces) => workspaces * MembersPerWorkspace / WorkspacesPerUser;
static int MemberUser(int w, int k, int users) => (int)(((long)w * MembersPerWorkspace + k) % users);
static string EmailOf(int u) => $"user{u}@bench.example";

static async Task<int> SeedAsync(NpgsqlDataSource dataSource, int workspaces)
{
    var clock = Stopwatch.StartNew();
    var users = UsersFor(workspaces);
    var faker = new Faker("en") { Random = new Randomizer(Seed) };
    var baseTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // The API's own hasher and iteration count (Passwords.Iterations), so that logins verify for real.
    var hasher = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { IterationCount = 210_000 }));
    var passwordHash = hasher.HashPassword(new object(), BenchPassword);

    // Pools keep Bogus's template parsing out of the per-row loop.
    var companies = Enumerable.Range(0, 5_000).Select(_ => faker.Company.CompanyName()).ToArray();
    var domains = Enumerable.Range(0, 500).Select(_ => faker.Internet.DomainName()).ToArray();
    var userIds = new Guid[users];

    await using var connection = await dataSource.OpenConnectionAsync();
    await using (var check = new NpgsqlCommand("SELECT count(*) FROM workspaces", connection))
    {
        if ((long)(await check.ExecuteScalarAsync())! != 0)
        {
            Console.Error.WriteLine("The database already has workspaces; seed an empty, migrated database.");
            return 1;
        }
    }

    // Secondary indexes (not those behind a primary key or unique constraint) are dropped for the load and
    // rebuilt afterwards from their own definitions (pg_get_indexdef), exactly as the migrations made them.
    var secondaryIndexes = await DropSecondaryIndexesAsync(connection);
    await using (var copy = await connection.BeginBinaryImportAsync(
        "COPY users (id, email, password_hash, name, created_at, updated_at) FROM STDIN (FORMAT BINARY)"))
    {
        for (var u = 0; u < users; u++)
        {
            userIds[u] = faker.Random.Guid();
            var created = baseTime.AddSeconds(u);
            await copy.StartRowAsync();
            await copy.WriteAsync(userIds[u], NpgsqlDbType.Uuid);
            await copy.WriteAsync(EmailOf(u), NpgsqlDbType.Varchar);
            await copy.WriteAsync(passwordHash, NpgsqlDbType.Varchar);
            await copy.WriteAsync(faker.Name.FullName(), NpgsqlDbType.Varchar);
            await copy.WriteAsync(created, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(created, NpgsqlDbType.TimestampTz);
        }

        await copy.CompleteAsync();
    }

    Console.WriteLine($"users: {users} in {clock.Elapsed.TotalSeconds:F1} s");

    await using (var copy = await connection.BeginBinaryImportAsync(
        "COPY workspaces (id, name, description, created_by, created_at, updated_at) FROM STDIN (FORMAT BINARY)"))
    {
        for (var w = 0; w < workspaces; w++)
        {
            var created = baseTime.AddSeconds(w);
            await copy.StartRowAsync();
            await copy.WriteAsync(WorkspaceIdOf(w), NpgsqlDbType.Varchar);
            await copy.WriteAsync(companies[faker.Random.Int(0, companies.Length - 1)], NpgsqlDbType.Varchar);
            if (faker.Random.Bool(0.3f))
            {
                await copy.WriteAsync(faker.Lorem.Sentence(), NpgsqlDbType.Text);
            }
            else
            {
                await copy.WriteNullAsync();
            }

            await copy.WriteAsync(userIds[MemberUser(w, 0, users)], NpgsqlDbType.Uuid);
            await copy.WriteAsync(created, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(created, NpgsqlDbType.TimestampTz);
        }

        await copy.CompleteAsync();
    }

    Console.WriteLine($"workspaces: {workspaces} in {clock.Elapsed.TotalSeconds:F1} s");

    await using (var copy = await connection.BeginBinaryImportAsync(
        "COPY workspace_members (workspace_id, id, user_id, role, joined_at) FROM STDIN (FORMAT BINARY)"))
    {
        for (var w = 0; w < workspaces; w++)
        {
            for (var k = 0; k < MembersPerWorkspace; k++)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(WorkspaceIdOf(w), NpgsqlDbType.Varchar);
                await copy.WriteAsync(faker.Random.Guid(), NpgsqlDbType.Uuid);
                await copy.WriteAsync(userIds[MemberUser(w, k, users)], NpgsqlDbType.Uuid);
                await copy.WriteAsync(k == 0 ? "owner" : k < 3 ? "admin" : "member", NpgsqlDbType.Varchar);
                await copy.WriteAsync(baseTime.AddSeconds(w).AddMinutes(k), NpgsqlDbType.TimestampTz);
            }
        }

        await copy.CompleteAsync();
    }

    Console.WriteLine($"memberships: {(long)workspaces * MembersPerWorkspace} in {clock.Elapsed.TotalSeconds:F1} s");

    await using (var copy = await connection.BeginBinaryImportAsync(
        "COPY contacts (workspace_id, id, first_name, last_name, email, phone, company, notes, created_by, created_at, updated_at) FROM STDIN (FORMAT BINARY)"))
    {
        for (var w = 0; w < workspaces; w++)
        {
            var workspaceId = WorkspaceIdOf(w);
            var owner = userIds[MemberUser(w, 0, users)];
            for (var c = 0; c < ContactsPerWorkspace; c++)
            {
                var first = faker.Name.FirstName();
                var last = faker.Random.Bool(0.9f) ? faker.Name.LastName() : null;
                var created = baseTime.AddSeconds(w).AddMinutes(c);
                await copy.StartRowAsync();
                await copy.WriteAsync(workspaceId, NpgsqlDbType.Varchar);
                await copy.WriteAsync(faker.Random.Guid(), NpgsqlDbType.Uuid);
                await copy.WriteAsync(first, NpgsqlDbType.Varchar);
                await WriteOrNull(copy, last, NpgsqlDbType.Varchar);
                await copy.WriteAsync($"{first}.{last ?? "x"}{c}@{domains[faker.Random.Int(0, domains.Length - 1)]}".ToLowerInvariant(), NpgsqlDbType.Varchar);
                await copy.WriteAsync(faker.Random.ReplaceNumbers("+1 ###-###-####"), NpgsqlDbType.Varchar);
                await copy.WriteAsync(companies[faker.Random.Int(0, companies.Length - 1)], NpgsqlDbType.Varchar);
                await copy.WriteNullAsync();
                await copy.WriteAsync(owner, NpgsqlDbType.Uuid);
                await copy.WriteAsync(created, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(created, NpgsqlDbType.TimestampTz);
            }
        }

        await copy.CompleteAsync();
    }

    Console.WriteLine($"contacts: {(long)workspaces * ContactsPerWorkspace} in {clock.Elapsed.TotalSeconds:F1} s");

    foreach (var definition in secondaryIndexes)
    {
        await using var create = new NpgsqlCommand(definition, connection);
        await create.ExecuteNonQueryAsync();
    }

    Console.WriteLine($"{secondaryIndexes.Count} secondary indexes rebuilt in {clock.Elapsed.TotalSeconds:F1} s");

    await using (var analyze = new NpgsqlCommand("VACUUM ANALYZE", connection))
    {
        await analyze.ExecuteNonQueryAsync();
    }

    Console.WriteLine($"vacuum analyze done in {clock.Elapsed.TotalSeconds:F1} s");
    return 0;
}

static async Task<List<string>> DropSecondaryIndexesAsync(NpgsqlConnection connection)
{
    var definitions = new List<(string Name, string Definition)>();
    await using (var list = new NpgsqlCommand("""
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
          FROM pg_index i
          JOIN pg_class t ON t.oid = i.indrelid
          JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public' AND t.relname IN ('users', 'workspaces', 'workspace_members', 'contacts')
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """, connection))
    await using (var reader = await list.ExecuteReaderAsync())
    {
        while (await reader.ReadAsync())
        {
            definitions.Add((reader.GetString(0), reader.GetString(1)));
        }
    }

    foreach (var (name, _) in definitions)
    {
        await using var drop = new NpgsqlCommand($"DROP INDEX {name}", connection);
        await drop.ExecuteNonQueryAsync();
    }

    await using (var memory = new NpgsqlCommand("SET maintenance_work_mem = '512MB'", connection))
    {
        await memory.ExecuteNonQueryAsync();
    }

    return definitions.ConvertAll(d => d.Definition);
}

static async Task WriteOrNull(NpgsqlBinaryImporter copy, string? value, NpgsqlDbType type)
{
    if (value is null)
    {
        await copy.WriteNullAsync();
    }
    else
    {
        await copy.WriteAsync(value, type);
    }
}

// Fresh sessions for every run (expiry and renewal start now, so no renewal write happens during a round),
// and the rows earlier runs added (S3 contacts, S4 sessions, login attempts) removed.
static async Task<int> SessionsAsync(NpgsqlDataSource dataSource, int count, string directory)
{
    await using var connection = await dataSource.OpenConnectionAsync();
    var workspaces = 0;
    await using (var cmd = new NpgsqlCommand($"DELETE FROM contacts WHERE notes = '{S3Marker}'; TRUNCATE sessions, login_failures; SELECT count(*)::int FROM workspaces", connection))
    {
        workspaces = (int)(await cmd.ExecuteScalarAsync())!;
    }

    var users = UsersFor(workspaces);
    var userIds = new Dictionary<string, Guid>();
    await using (var cmd = new NpgsqlCommand("SELECT workspace_id, user_id FROM workspace_members WHERE role = 'owner'", connection))
    await using (var reader = await cmd.ExecuteReaderAsync())
    {
        while (await reader.ReadAsync())
        {
            userIds[reader.GetString(0)] = reader.GetGuid(1);
        }
    }

    var now = DateTimeOffset.UtcNow;
    var tokens = new List<string>(count);
    var logins = new List<string>();
    await using (var copy = await connection.BeginBinaryImportAsync(
        "COPY sessions (workspace_id, id, user_id, expires_at, created_at) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < count; i++)
        {
            var w = (int)((long)i * workspaces / count);
            var workspaceId = WorkspaceIdOf(w);
            var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
            // As SessionTokens.Hash: SHA-256 of the secret's ASCII, lower-case hex.
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(secret)));
            await copy.StartRowAsync();
            await copy.WriteAsync(workspaceId, NpgsqlDbType.Varchar);
            await copy.WriteAsync(hash, NpgsqlDbType.Varchar);
            await copy.WriteAsync(userIds[workspaceId], NpgsqlDbType.Uuid);
            await copy.WriteAsync(now.AddDays(7), NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
            tokens.Add($"{workspaceId}.{secret}");
            if (logins.Count < 500)
            {
                logins.Add(EmailOf(MemberUser(w, 0, users)));
            }
        }

        await copy.CompleteAsync();
    }

    await using (var analyze = new NpgsqlCommand("ANALYZE sessions", connection))
    {
        await analyze.ExecuteNonQueryAsync();
    }

    Directory.CreateDirectory(directory);
    await File.WriteAllLinesAsync(Path.Combine(directory, "tokens.txt"), tokens);
    await File.WriteAllLinesAsync(Path.Combine(directory, "logins.txt"), logins.Distinct());
    Console.WriteLine($"sessions: {count} over {workspaces} workspaces; password of logins.txt: '{BenchPassword}'");
    return 0;
}
