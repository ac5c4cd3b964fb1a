using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using CrmToolkit.Tests.Infrastructure;
using CrmToolkit.Tests.Infrastructure.Fuzz;
using CsCheck;
using Xunit.Abstractions;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// Bad input, generated and not hand-picked: for every operation in the running app's OpenAPI document, requests
/// with mutated bodies, wrong content types, malformed tokens and look-alike ids (CsCheck, fixed seed), plus a
/// fixed corpus of nasty requests. Every response is a 4xx problem or a documented success, never a 5xx, a stack
/// trace, SQL or a hash; afterwards no row breaks the schema's rules.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class GeneratedInputTests(AppFixture app, ITestOutputHelper output)
{
    /// <summary>Generated requests in one run: at least 1 000 across the API, about 60 per operation.</summary>
    private const int Requests = 1_600;

    /// <summary>Each operation gets at least this many, so a new endpoint cannot go unfuzzed.</summary>
    private const int RequestsPerOperation = 25;

    private const int Concurrency = 4;

    /// <summary>A fixed CsCheck seed, so CI runs the same requests every time; set CRM_FUZZ_SEED to explore others.</summary>
    private const string DefaultSeed = "0000001diA91";

    private static readonly SemaphoreSlim WorldLock = new(1, 1);
    private static FuzzWorld? _corpusWorld;

    [Fact]
    public async Task GeneratedBadInputToEveryOperationIsAProblemOrADocumentedSuccessAndLeavesNoBrokenRow()
    {
        var seed = Environment.GetEnvironmentVariable("CRM_FUZZ_SEED") is { Length: > 0 } s ? s : DefaultSeed;
        output.WriteLine($"CsCheck seed {seed} (set CRM_FUZZ_SEED to replay another), {Requests} requests, {Concurrency} at a time");
        var since = await app.Database.ScalarAsync<DateTime>("SELECT now()");
        using var setupClient = app.NewClient();
        var surface = await ApiSurface.ReadAsync(setupClient);
        // A world of its own: the generated failed logins lock its peer out (429), which the corpus must not see.
        var world = await FuzzWorld.CreateAsync(setupClient);

        var pcg = PCG.Parse(seed);
        var gen = FuzzGen.Case(surface.Operations);
        var cases = Enumerable.Range(0, Requests).Select(_ => gen.Generate(pcg, null, out Size _)).ToArray();

        var clients = new ConcurrentDictionary<int, ApiClient>();
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<string, int>();
        var answered = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, _) =>
            {
                // A fresh client address every 50 requests keeps the per-address limit on /api/auth/* out of the way.
                var client = clients.GetOrAdd(i / 50, _ => app.NewClient());
                var fuzz = cases[i];
                var target = await world.TakeAsync(setupClient);
                try
                {
                    var outcome = await SendAndCheckAsync(client, surface, world, fuzz, target);
                    statuses.AddOrUpdate($"{fuzz.Operation.Name} {outcome.Status}{(outcome.ProtocolRejection ? " (Kestrel)" : "")}", 1, (_, n) => n + 1);
                    if (outcome.Status > 0)
                    {
                        Interlocked.Increment(ref answered);
                    }

                    if (outcome.Violation is { } violation)
                    {
                        failures.Enqueue($"#{i}: {violation}\n    {fuzz}");
                    }
                }
                finally
                {
                    world.Return(target, fuzz);
                }
            });
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }

        output.WriteLine($"{answered} answered in {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var (key, count) in statuses.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {key}: {count}");
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} of {Requests} requests broke a rule (seed {seed}):\n{string.Join("\n", failures.Take(25))}");
        Assert.True(answered >= 1_000, $"only {answered} generated requests were answered");
        foreach (var operation in surface.Operations)
        {
            var sent = cases.Count(c => c.Operation == operation);
            Assert.True(sent >= RequestsPerOperation, $"{operation.Name} got only {sent} generated requests");
        }

        var broken = await SchemaInvariants.ViolationsAsync(app.Database, since);
        Assert.True(broken.Count == 0, string.Join("\n", broken));
    }

    public static TheoryData<string> Corpus => new(NastyCorpus.Cases.Keys);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task AHandWrittenNastyRequestIsAProblemOrADocumentedSuccessAndLeavesNoBrokenRow(string name)
    {
        var since = await app.Database.ScalarAsync<DateTime>("SELECT now()");
        using var client = app.NewClient();
        var surface = await ApiSurface.ReadAsync(client);
        var world = await CorpusWorldAsync(client);
        var target = await world.NewTargetAsync(client);
        var nasty = NastyCorpus.Cases[name];

        var outcome = await SendAndCheckAsync(client, surface, world, nasty.Case, target);

        Assert.True(outcome.Violation is null, $"{outcome.Violation}\n    {nasty.Case}");
        if (nasty.Expected is { } expected)
        {
            Assert.True(expected == outcome.Status, $"expected {expected}, got {outcome.Status}: {outcome.Body}");
        }

        var broken = await SchemaInvariants.ViolationsAsync(app.Database, since);
        Assert.True(broken.Count == 0, string.Join("\n", broken));
    }

    [Fact]
    public async Task TheApiLogsNeitherSqlNorStackTracesForBadInput()
    {
        await using var log = new ResourceLog(app.App);
        using var client = app.NewClient();
        var owner = await client.RegisterAsync();

        // Statements that succeed, one that the database refuses (409), a body that cannot be read (400, logged).
        await (await client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/contacts", new { firstName = "Logged" }, owner.Token)).ReadJsonAsync(HttpStatusCode.Created);
        await (await client.PostAsync("/api/workspaces", new { name = "Taken", id = owner.WorkspaceId }, owner.Token)).ReadProblemAsync(HttpStatusCode.Conflict);
        var unreadable = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = new StringContent("{\"email\":", Encoding.UTF8, "application/json") };
        await (await client.SendAsync(unreadable)).ReadProblemAsync(HttpStatusCode.BadRequest);

        await log.WaitForAsync("mapped to 400"); // the log is really being read
        foreach (var marker in new[] { "INSERT INTO", "SELECT ", "Command execution", "   at ", owner.Token, owner.Token[(owner.Token.IndexOf('.') + 1)..] })
        {
            Assert.DoesNotContain(log.Lines, l => l.Contains(marker, StringComparison.Ordinal));
        }
    }

    private sealed record Outcome(int Status, string Body, string? Violation, bool ProtocolRejection = false);

    private static async Task<Outcome> SendAndCheckAsync(ApiClient client, ApiSurface surface, FuzzWorld world, FuzzCase fuzz, Target target)
    {
        using var request = world.Build(fuzz, target);
        // One connection per request: a request Kestrel refuses closes its connection, and a pooled connection
        // closed under the next request would fail that request on the client side, not the server's.
        request.Headers.ConnectionClose = true;
        // A body over the limit is refused with 413 before it is read; without 100-continue the client would still be
        // uploading megabytes into a connection the server has closed, and report a broken pipe instead of the 413.
        request.Headers.ExpectContinue = request.Content?.Headers.ContentLength > 64 * 1024;
        var requestText = FuzzWorld.Describe(request, fuzz, target);
        // Bounded, so that a request the server never answers fails the test instead of hanging it.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            using var response = await client.SendAsync(request, timeout.Token);
            var body = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(timeout.Token));
            var status = (int)response.StatusCode;
            return new Outcome(status, body, ResponseRules.Check(surface, request, response, body, requestText), ResponseRules.IsProtocolRejection(response, body));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return new Outcome(0, "", "no response within 60 s");
        }
        catch (HttpRequestException e)
        {
            return new Outcome(0, "", $"no HTTP response: {e.Message} {e.InnerException?.Message}");
        }
    }

    /// <summary>One world for all corpus cases (two registrations, not two per case).</summary>
    private static async Task<FuzzWorld> CorpusWorldAsync(ApiClient client)
    {
        await WorldLock.WaitAsync();
        try
        {
            return _corpusWorld ??= await FuzzWorld.CreateAsync(client);
        }
        finally
        {
            WorldLock.Release();
        }
    }
}
