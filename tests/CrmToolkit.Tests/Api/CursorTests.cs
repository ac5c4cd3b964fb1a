using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using CrmToolkit.AspNetCore.Paging;
using CrmToolkit.Tests.Infrastructure;
using CsCheck;
using Microsoft.AspNetCore.DataProtection;
using Xunit.Abstractions;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// A cursor the API did not issue, however it was made, is a 400 problem naming <c>after</c>: never a 5xx, never a page.
/// For every paged route a real <c>next</c> is bent (CsCheck, fixed seed) and sent back: truncated, with characters
/// flipped, inserted or deleted, replaced by base64url of bent JSON or by what is not base64url at all, made very long,
/// taken from another route or from another workspace's (or user's) list.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class CursorTests(AppFixture app, ITestOutputHelper output) : IDisposable
{
    /// <summary>A fixed CsCheck seed, so CI sends the same cursors every time; set CRM_CURSOR_SEED to explore others.</summary>
    private const string DefaultSeed = "0000001diA91";

    /// <summary>Generated bends per route, on top of the fixed ones.</summary>
    private const int GeneratedPerRoute = 36;

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    /// <summary>A paged route as one account sees it, with a page of one row; <c>List</c> names the cursors it accepts.</summary>
    private sealed record PagedRoute(string Name, string List, string Path, string Token);

    private sealed record Bend(string Kind, string Cursor);

    [Fact]
    public async Task EveryBentCursorOfEveryPagedRouteIsABadRequestNamingAfterAndTheRealOneStillPages()
    {
        var seed = Environment.GetEnvironmentVariable("CRM_CURSOR_SEED") is { Length: > 0 } s ? s : DefaultSeed;
        var (routes, otherRoutes) = (await PagedRoutesAsync(), await PagedRoutesAsync());
        var real = new Dictionary<string, string>();
        foreach (var route in routes.Concat(otherRoutes))
        {
            real[route.Name + route.Token] = await NextAsync(route, after: null);
        }

        var pcg = PCG.Parse(seed);
        var cases = new List<(PagedRoute Route, Bend Bend)>();
        foreach (var route in routes)
        {
            var cursor = real[route.Name + route.Token];
            cases.AddRange(FixedBends(cursor).Select(b => (route, b)));
            var generated = Bent(cursor);
            cases.AddRange(Enumerable.Range(0, GeneratedPerRoute).Select(_ => (route, generated.Generate(pcg, null, out Size _))));
            // Real cursors of other lists (contacts with and without q are one list), and of this list of another owner.
            cases.AddRange(routes.Where(r => r.List != route.List).Select(r => (route, new Bend($"a cursor of {r.Name}", real[r.Name + r.Token]))));
            var theirs = otherRoutes.Single(r => r.Name == route.Name);
            cases.Add((route, new Bend("the same list's cursor of another workspace or user", real[theirs.Name + theirs.Token])));
        }

        // Bends that happen to be the real cursor again are not bends.
        cases.RemoveAll(c => c.Bend.Cursor == real[c.Route.Name + c.Route.Token]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failures = new ConcurrentQueue<string>();
        var kinds = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (c, _) =>
        {
            kinds.AddOrUpdate(c.Bend.Kind.Split(':')[0], 1, (_, n) => n + 1);
            using var response = await _client.GetAsync($"{c.Route.Path}&after={Uri.EscapeDataString(c.Bend.Cursor)}", c.Route.Token);
            var body = await response.Content.ReadAsStringAsync();
            if (Refusal(response, body) is { } wrong)
            {
                failures.Enqueue($"{c.Route.Name}, {c.Bend.Kind} ({c.Bend.Cursor.Length} chars: {Shorten(c.Bend.Cursor)}): {wrong}");
            }
        });

        output.WriteLine($"CsCheck seed {seed} (set CRM_CURSOR_SEED to replay another): {cases.Count} bent cursors over {routes.Count} routes, answered in {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var (kind, count) in kinds.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {kind}: {count}");
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} bent cursors were not a 400 naming after (seed {seed}):\n{string.Join("\n", failures.Take(25))}");
        Assert.InRange(cases.Count, 5 * 40, 600);
        foreach (var route in routes)
        {
            // The real cursor still pages, after all that.
            var page = await (await _client.GetAsync($"{route.Path}&after={real[route.Name + route.Token]}", route.Token)).ReadJsonAsync(HttpStatusCode.OK);
            Assert.Single(page.GetProperty("items").EnumerateArray());
        }
    }

    [Fact]
    public async Task MyWorkspacesCursorBelongsToTheUserAndStillPagesFromAnotherOfTheirSessions()
    {
        var user = await _client.RegisterAsync();
        var created = await (await _client.PostAsync("/api/workspaces", new { name = "Second" }, user.Token)).ReadJsonAsync(HttpStatusCode.Created);
        var otherSession = created.GetProperty("session").GetProperty("token").GetString()!;
        var next = await NextAsync(new PagedRoute("me/workspaces", "me", "/api/me/workspaces?limit=1", user.Token), after: null);

        var page = await (await _client.GetAsync($"/api/me/workspaces?limit=1&after={next}", otherSession)).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(user.WorkspaceId, Assert.Single(page.GetProperty("items").EnumerateArray()).GetProperty("workspace").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, page.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task ACursorOneInstanceIssuedPagesThroughAnotherThatSharesOnlyTheDatabase()
    {
        var owner = await _client.RegisterAsync();
        var members = $"/api/workspaces/{owner.WorkspaceId}/members?limit=1";
        await _client.AddNewMembersAsync(owner, 2);
        // A home directory of its own: no key ring on disk to share, only the one in data_protection_keys.
        var home = Directory.CreateTempSubdirectory("crm-cursor-home-");
        try
        {
            using var second = await ApiProcess.StartAsync(app, new Dictionary<string, string> { ["HOME"] = home.FullName });
            using var secondClient = second.NewClient();

            var first = await NextAsync(new PagedRoute("members", "members", members, owner.Token), after: null);
            var page = await (await secondClient.GetAsync($"{members}&after={first}", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
            var next = page.GetProperty("next").GetString();
            await (await _client.GetAsync($"{members}&after={next}", owner.Token)).ReadJsonAsync(HttpStatusCode.OK);
        }
        finally
        {
            home.Delete(recursive: true);
        }

        Assert.True(await app.Database.ScalarAsync<long>("SELECT count(*) FROM data_protection_keys") >= 1);
    }

    [Fact]
    public async Task APageBoundaryBetweenRowsAMicrosecondApartRepeatsAndSkipsNothing()
    {
        // Invitations, oldest first: created a microsecond apart, and two at the very same microsecond (then by id).
        var owner = await _client.RegisterAsync();
        for (var i = 0; i < 4; i++)
        {
            await _client.InviteAsync(owner, $"micro-{i}-{Guid.NewGuid():N}@example.com", "member");
        }

        await app.Database.ExecuteAsync("""
            UPDATE invitations i SET created_at = date_trunc('second', now()) - interval '1 minute' + interval '1 microsecond' * n.step
              FROM (SELECT id, (ARRAY[1, 2, 2, 3])[row_number() OVER (ORDER BY id)::int] AS step FROM invitations WHERE workspace_id = $1) n
             WHERE i.workspace_id = $1 AND i.id = n.id
            """, owner.WorkspaceId);
        var invitations = await app.Database.ListAsync(
            "SELECT email FROM invitations WHERE workspace_id = $1 ORDER BY created_at, id", owner.WorkspaceId);
        Assert.Equal(invitations, await PageThroughAsync($"/api/workspaces/{owner.WorkspaceId}/invitations", owner.Token, "email"));

        // The user's workspaces, most recently joined first: likewise a microsecond apart, two at once (then by id).
        var user = await _client.RegisterAsync();
        for (var i = 0; i < 3; i++)
        {
            await (await _client.PostAsync("/api/workspaces", new { name = $"Micro {i}" }, user.Token)).ReadJsonAsync(HttpStatusCode.Created);
        }

        await app.Database.ExecuteAsync("""
            UPDATE workspace_members m SET joined_at = date_trunc('second', now()) - interval '1 minute' + interval '1 microsecond' * n.step
              FROM (SELECT id, (ARRAY[1, 2, 2, 3])[row_number() OVER (ORDER BY workspace_id)::int] AS step FROM workspace_members WHERE user_id = $1) n
             WHERE m.user_id = $1 AND m.id = n.id
            """, user.UserId);
        var workspaces = await app.Database.ListAsync(
            "SELECT workspace_id FROM workspace_members WHERE user_id = $1 ORDER BY joined_at DESC, workspace_id", user.UserId);
        Assert.Equal(4, workspaces.Count);
        Assert.Equal(workspaces, await PageThroughAsync("/api/me/workspaces", user.Token, "workspace"));
    }

    [Fact]
    public void TheLongestKeysAListCanEndOnMakeCursorsThatDecode()
    {
        // What a row may hold at most: 100 (names) and 255 (emails) characters, each outside the BMP (escaped as two \uXXXX).
        var cursors = new KeysetCursor(new EphemeralDataProtectionProvider());
        string Astral(int n) => string.Concat(Enumerable.Repeat("😀", n));
        var contact = new ContactKey(Astral(100), Astral(100), Guid.NewGuid());
        var member = new MemberKey(Astral(255));

        var contactCursor = cursors.Encode("contacts", "abcdefghij1", contact);
        var memberCursor = cursors.Encode("members", "abcdefghij1", member);

        Assert.True(cursors.TryDecode<ContactKey>("contacts", "abcdefghij1", contactCursor, out var decodedContact, _ => true));
        Assert.Equal(contact, decodedContact);
        Assert.True(cursors.TryDecode<MemberKey>("members", "abcdefghij1", memberCursor, out var decodedMember, _ => true));
        Assert.Equal(member, decodedMember);
        // And only for its own list and owner.
        Assert.False(cursors.TryDecode<MemberKey>("members", "abcdefghij2", memberCursor, out _, _ => true));
        Assert.False(cursors.TryDecode<MemberKey>("contacts", "abcdefghij1", memberCursor, out _, _ => true));
    }

    private sealed record ContactKey(string? LastName, string FirstName, Guid Id);

    private sealed record MemberKey(string Email);

    /// <summary>A fresh owner with two rows or more in every paged list, each route asking for pages of one.</summary>
    private async Task<List<PagedRoute>> PagedRoutesAsync()
    {
        var owner = await _client.RegisterAsync();
        var ws = $"/api/workspaces/{owner.WorkspaceId}";
        foreach (var (first, last) in new[] { ("Pat", "O'Kon"), ("Patricia", "Ünal"), ("Sam", (string?)null) })
        {
            await (await _client.PostAsync($"{ws}/contacts", new { firstName = first, lastName = last }, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        }

        await _client.InviteAsync(owner, $"cursor-a-{Guid.NewGuid():N}@example.com", "member");
        await _client.InviteAsync(owner, $"cursor-b-{Guid.NewGuid():N}@example.com", "member");
        await _client.AddMemberAsync(owner, await _client.RegisterAsync(), "member");
        await (await _client.PostAsync("/api/workspaces", new { name = "Cursor's second" }, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        return
        [
            new("contacts", "contacts", $"{ws}/contacts?limit=1", owner.Token),
            new("contacts?q=", "contacts", $"{ws}/contacts?q=pat&limit=1", owner.Token),
            new("invitations", "invitations", $"{ws}/invitations?limit=1", owner.Token),
            new("members", "members", $"{ws}/members?limit=1", owner.Token),
            new("me/workspaces", "me/workspaces", "/api/me/workspaces?limit=1", owner.Token),
        ];
    }

    /// <summary>The page after <paramref name="after"/> (a 200 with one item), and its <c>next</c>.</summary>
    private async Task<string> NextAsync(PagedRoute route, string? after)
    {
        var page = await (await _client.GetAsync(after is null ? route.Path : $"{route.Path}&after={after}", route.Token)).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Single(page.GetProperty("items").EnumerateArray());
        var next = page.GetProperty("next").GetString();
        Assert.False(string.IsNullOrEmpty(next), $"{route.Name}: no next page");
        return next;
    }

    /// <summary>Every page of one row, up to ten: the items' <paramref name="key"/> (a string, or an object's id) in order.</summary>
    private async Task<List<string>> PageThroughAsync(string path, string token, string key)
    {
        var seen = new List<string>();
        string? next = null;
        do
        {
            var page = await (await _client.GetAsync($"{path}?limit=1{(next is null ? "" : $"&after={next}")}", token)).ReadJsonAsync(HttpStatusCode.OK);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty(key) is { ValueKind: JsonValueKind.Object } o
                ? o.GetProperty("id").GetString()!
                : i.GetProperty(key).GetString()!));
            next = page.GetProperty("next").GetString();
        }
        while (next is not null && seen.Count < 10);

        return seen;
    }

    /// <summary>What is wrong with the answer to a bent cursor, or <c>null</c> for a 400 problem naming <c>after</c>.</summary>
    private static string? Refusal(HttpResponseMessage response, string body)
    {
        if (response.StatusCode != HttpStatusCode.BadRequest)
        {
            return $"{(int)response.StatusCode} {Shorten(body)}";
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"400 as {response.Content.Headers.ContentType?.MediaType ?? "no content type"}";
        }

        using var problem = JsonDocument.Parse(body);
        return problem.RootElement.TryGetProperty("errors", out var errors) && errors.TryGetProperty("after", out _)
            ? null
            : $"400 without errors.after: {Shorten(body)}";
    }

    /// <summary>The same bends for every route: each truncation length class, the ends flipped, padding, whitespace, lengths.</summary>
    private static IEnumerable<Bend> FixedBends(string cursor)
    {
        var n = cursor.Length;
        // Base64url lengths fall in four classes (one of them never valid); 27 characters hold Data Protection's header.
        foreach (var length in new[] { 0, 1, 2, 3, 4, 5, 26, 27, 28, 29, n / 2, n - 5, n - 4, n - 3, n - 2, n - 1 }.Where(l => l >= 0 && l < n).Distinct())
        {
            yield return new Bend($"truncated: to {length}", cursor[..length]);
        }

        yield return new Bend("flipped: the first character", Flip(cursor, 0));
        yield return new Bend("flipped: the last character", Flip(cursor, n - 1));
        yield return new Bend("flipped: the last character's low bit", cursor[..^1] + Alphabet[Alphabet.IndexOf(cursor[^1], StringComparison.Ordinal) ^ 1]);
        yield return new Bend("inserted: padding", cursor + "=");
        yield return new Bend("inserted: padding", cursor + "==");
        yield return new Bend("inserted: a space", cursor[..(n / 2)] + " " + cursor[(n / 2)..]);
        yield return new Bend("inserted: a line break", cursor + "\n");
        yield return new Bend("inserted: standard base64", cursor.Replace('-', '+').Replace('_', '/') + "+/");
        yield return new Bend("doubled", cursor + cursor);
        yield return new Bend("very long: base64url under the length limit", string.Concat(Enumerable.Repeat(cursor, 6_000 / n + 1))[..6_000]);
        yield return new Bend("very long: just over the length limit", new string('A', 6 * 1024 + 1));
        yield return new Bend("very long: 7 000 characters", new string('_', 7_000));
        yield return new Bend("non-base64: empty JSON object", Base64Url.EncodeToString("{}"u8));
        yield return new Bend("non-base64: punctuation", "!!!***(((");
        yield return new Bend("non-base64: percent signs", "%%%");
        yield return new Bend("non-base64: letters outside ASCII", "ÄÖÜéñ😀");
        yield return new Bend("non-base64: lower-cased", cursor.ToLowerInvariant());
    }

    /// <summary>Random bends of one real cursor.</summary>
    private static Gen<Bend> Bent(string cursor) => Gen.Frequency(
        (4, Gen.Int[1, cursor.Length - 1].Select(l => new Bend($"truncated: to {l}", cursor[..l]))),
        (5, Gen.Int[0, cursor.Length - 1].Select(i => new Bend($"flipped: at {i}", Flip(cursor, i)))),
        (3, Gen.Select(Gen.Int[0, cursor.Length - 1], Gen.Char[Alphabet + "=+/.~!*' %"],
            (i, c) => new Bend($"inserted: '{c}' at {i}", cursor.Insert(i, c.ToString())))),
        (3, Gen.Int[0, cursor.Length - 1].Select(i => new Bend($"deleted: at {i}", cursor.Remove(i, 1)))),
        (2, Gen.Select(Gen.Int[0, cursor.Length - 4], Gen.Int[2, 4], (i, l) => new Bend($"deleted: {l} at {i}", cursor.Remove(i, l)))),
        (6, BentJson.Select(json => new Bend($"bent JSON: {json}", Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json))))),
        (2, Gen.Char[Alphabet].Array[1, 300].Select(chars => new Bend("random base64url", new string(chars)))),
        (1, Gen.String.Select(s => new Bend("random text", s.Length == 0 ? "x" : s))));

    private static string Flip(string cursor, int i) =>
        cursor[..i] + Alphabet[(Alphabet.IndexOf(cursor[i], StringComparison.Ordinal) + 17) % Alphabet.Length] + cursor[(i + 1)..];

    /// <summary>The keys every list used to accept in clear, with bent values: offsets, huge numbers, wrong types, nulls, extra fields.</summary>
    private static readonly Gen<string> BentJson =
        from time in Gen.OneOf(
            "\"2026-01-01T00:00:00+05:00\"", "\"2026-01-01T00:00:00.1234567-14:00\"", "\"2026-01-01T00:00:00Z\"", "\"2026-01-01T00:00:00.000001+00:00\"",
            "\"0001-01-01T00:00:00+00:00\"", "\"9999-12-31T23:59:59.9999999+00:00\"", "\"-infinity\"", "\"2026-13-45T99:99:99+00:00\"", "\"\"",
            "1e400", "99999999999999999999999", "-1", "null", "true", "[]", "{}")
        from id in Gen.OneOf(
            "\"00000000-0000-0000-0000-000000000000\"", "\"6f9619ff-8b86-d011-b42d-00c04fc964ff\"", "\"abcdefghij1\"", "\"abc\"", "\"a\\u0000bcdefghijk\"", "\"\"",
            "340282366920938463463374607431768211456", "1e400", "null", "false", "[\"x\"]", "{\"a\":1}")
        from text in Gen.OneOf(
            "\"Pat\"", "\"O'Kon\"", "\"a@example.com\"", "\"\\u0000\"", "\"\\ud800\"", "\"\"", $"\"{new string('x', 3_000)}\"", "null", "0", "1e400", "[\"a\"]", "{}")
        from shape in Gen.Int[0, 9]
        select shape switch
        {
            0 => $"{{\"CreatedAt\":{time},\"Id\":{id}}}",
            1 => $"{{\"JoinedAt\":{time},\"WorkspaceId\":{id}}}",
            2 => $"{{\"Email\":{text}}}",
            3 => $"{{\"LastName\":{text},\"FirstName\":{text},\"Id\":{id}}}",
            4 => $"{{\"LastName\":null,\"FirstName\":{text},\"Id\":{id},\"Extra\":{{\"a\":[1,2,{time}]}}}}",
            5 => $"{{\"CreatedAt\":{time},\"Id\":{id},\"Email\":{text},\"JoinedAt\":{time},\"WorkspaceId\":{id}}}",
            6 => $"{{\"createdAt\":{time},\"id\":{id}}}",
            7 => $"[{time},{id}]",
            8 => text,
            _ => $"{{\"Email\":{text},\"Email\":{text}}}",
        };

    private static string Shorten(string text) => text.Length <= 120 ? text : $"{text[..120]}...";
}
