using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CrmToolkit.Tests.Infrastructure;
using Xunit.Abstractions;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// Clients that retry every create with its <c>Idempotency-Key</c> until it is acknowledged, while the database goes away
/// and comes back and its connections are cut mid-transaction: each create happens exactly once. Against a PostgreSQL
/// server of the test's own (the shared one is not disturbed), in the shared collection so the load has the machine.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class IdempotencyChaosTests(ITestOutputHelper output)
{
    private const int Clients = 6;
    private const int MaxKeysPerClient = 300;
    private const int MaxAttemptsPerKey = 100;
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Downtime = TimeSpan.FromSeconds(2);
    // Shorter than a request can take while the API waits out its retries.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);
    // One try in four gives up after a few milliseconds: sometimes before the create committed, sometimes just after
    // (its response is lost; the retry must replay it, not create again).
    private const int ShortFuseOneIn = 4;
    private const int ShortFuseMaxMilliseconds = 60;
    private static readonly TimeSpan KeyDeadline = TimeSpan.FromSeconds(45);

    /// <summary>One try of one key: the status (0: no response: timeout or connection error) and the contact it acknowledged.</summary>
    private sealed record Attempt(string Key, int Status, Guid? Acknowledged, bool Replayed);

    [Fact]
    public async Task CreatesRetriedWithTheirKeysThroughDatabaseRestartsHappenExactlyOnce()
    {
        await using var server = await PostgresServer.StartMigratedAsync();
        using var api = await ApiProcess.StartAsync(server.AppConnectionString, new Dictionary<string, string>
        {
            ["Crm__Data__MaxRetryDelay"] = "00:00:00.500",
            ["Crm__Data__ConnectionTimeout"] = "00:00:02",
        }, readyPath: "/health");
        var accounts = new List<Account>();
        using (var registrar = api.NewClient())
        {
            for (var i = 0; i < Clients; i++)
            {
                accounts.Add(await registrar.RegisterAsync());
            }
        }

        var attempts = new ConcurrentQueue<Attempt>();
        var keys = new ConcurrentQueue<string>();
        var unresolved = new ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var load = accounts.Select((account, n) => Task.Run(async () =>
        {
            using var client = api.NewClient();
            for (var i = 0; i < MaxKeysPerClient && !stop.IsCancellationRequested; i++)
            {
                var key = $"chaos-{n}-{i}-{Guid.NewGuid():N}";
                keys.Enqueue(key);
                // The key in the notes: the contacts it produced can be counted afterwards.
                var body = $$"""{"firstName":"Chaos {{n}}-{{i}}","notes":"{{key}}"}""";
                var started = clock.Elapsed;
                for (var attempt = 1; ; attempt++)
                {
                    var outcome = await CreateOnceAsync(client, account, key, body);
                    attempts.Enqueue(outcome);
                    // Done on a 2xx, or on a 4xx other than 409 (in progress: retry); anything else is retried with the same key.
                    if (outcome.Status is >= 200 and < 300 or (>= 400 and < 500 and not 409))
                    {
                        break;
                    }

                    if (attempt == MaxAttemptsPerKey || clock.Elapsed - started > KeyDeadline)
                    {
                        unresolved.Enqueue(key);
                        break;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(100 + Random.Shared.Next(100)));
                }

                await Task.Delay(TimeSpan.FromMilliseconds(30));
            }
        })).ToList();

        // Chaos: the server stops (fast shutdown: open transactions roll back, every connection is cut) and starts,
        // twice; in between, the API's connections are terminated under it, mid-transaction, again and again.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await server.StopAsync();
        await Task.Delay(Downtime);
        await server.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await using (var owner = server.OwnerDataSource())
        {
            for (var i = 0; i < 20; i++)
            {
                await owner.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'crm_app' AND pid <> pg_backend_pid()");
                await Task.Delay(TimeSpan.FromMilliseconds(150 + Random.Shared.Next(100)));
            }
        }

        await server.StopAsync();
        await Task.Delay(Downtime);
        await server.StartAsync();
        var remaining = LoadTime - clock.Elapsed;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }

        await stop.CancelAsync();
        await Task.WhenAll(load); // keys in flight finish (or give up) on their own
        Assert.False(api.HasExited, "The API process ended.");

        var all = attempts.ToList();
        var byKey = all.GroupBy(a => a.Key).ToDictionary(g => g.Key, g => g.ToList());
        var contacts = new List<(string Key, Guid Id)>();
        var records = new Dictionary<string, long>();
        await using (var owner = server.OwnerDataSource())
        {
            await using (var command = owner.CreateCommand("SELECT notes, id FROM contacts"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    contacts.Add((reader.GetString(0), reader.GetGuid(1)));
                }
            }

            await using (var command = owner.CreateCommand("SELECT key, count(*) FROM idempotency_keys GROUP BY key"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    records[reader.GetString(0)] = reader.GetInt64(1);
                }
            }
        }

        var contactsByKey = contacts.GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Select(c => c.Id).ToList());
        output.WriteLine($"{keys.Count} keys, {all.Count} attempts in {clock.Elapsed}: {all.Count(a => a.Status == 0)} without a response, " +
            $"{all.Count(a => a.Status >= 500)} 5xx, {all.Count(a => a.Status == 409)} 409, {all.Count(a => a.Replayed)} replays; " +
            $"{contacts.Count} contacts; statuses {string.Join(", ", all.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"))}");

        var (_, log) = await api.StopAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(log);

        // The chaos bit: some tries failed and were retried; a failure was a lost response or a 503, never a bug's 500
        // (nor its stack trace in the log).
        Assert.Contains(all, a => a.Status == 503);
        Assert.Contains(all, a => a.Status == 0);
        Assert.DoesNotContain(all, a => a.Status >= 500 && a.Status != 503);
        Assert.DoesNotContain("   at ", log);
        Assert.True(keys.Count >= Clients * 10, $"Only {keys.Count} keys were tried.");

        // No key produced two contacts, and every contact has its key's record (they were committed together).
        Assert.All(contactsByKey, c => Assert.True(c.Value.Count == 1, $"Key {c.Key} produced {c.Value.Count} contacts."));
        Assert.All(contactsByKey, c => Assert.True(records.GetValueOrDefault(c.Key) == 1, $"Key {c.Key} has a contact but {records.GetValueOrDefault(c.Key)} records."));
        Assert.All(records, r => Assert.True(contactsByKey.ContainsKey(r.Key), $"Key {r.Key} has a record but no contact."));

        // Every key was acknowledged in the end, and every acknowledgement of a key named its one contact.
        Assert.Empty(unresolved);
        Assert.All(keys, key =>
        {
            var acknowledged = byKey[key].Where(a => a.Acknowledged is not null).Select(a => a.Acknowledged!.Value).Distinct().ToList();
            Assert.True(acknowledged.Count == 1, $"Key {key} was acknowledged as {acknowledged.Count} contacts.");
            Assert.True(contactsByKey.TryGetValue(key, out var stored) && stored.Single() == acknowledged[0], $"Key {key}'s acknowledged contact is not stored.");
        });
    }

    private static async Task<Attempt> CreateOnceAsync(ApiClient client, Account account, string key, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{account.WorkspaceId}/contacts")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", account.Token);
        request.Headers.Add("Idempotency-Key", key);
        using var timeout = new CancellationTokenSource(Random.Shared.Next(ShortFuseOneIn) == 0
            ? TimeSpan.FromMilliseconds(1 + Random.Shared.Next(ShortFuseMaxMilliseconds))
            : RequestTimeout);
        try
        {
            using var response = await client.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var status = (int)response.StatusCode;
            Guid? acknowledged = status is >= 200 and < 300 ? JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid() : null;
            return new Attempt(key, status, acknowledged, response.Headers.Contains("Idempotent-Replayed"));
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return new Attempt(key, 0, null, false);
        }
    }
}
