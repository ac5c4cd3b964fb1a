using System.Net;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// Several API instances share nothing but PostgreSQL: a second instance of the API, started here against
/// the same database, must agree with the AppHost's in everything that must be global.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ScaleOutTests(AppFixture app) : IAsyncLifetime
{
    private readonly ApiClient _first = app.NewClient();
    private ApiProcess _secondApi = null!;
    private ApiClient _second = null!;

    public async Task InitializeAsync()
    {
        _secondApi = await ApiProcess.StartAsync(app);
        _second = _secondApi.NewClient();
    }

    public Task DisposeAsync()
    {
        _first.Dispose();
        _second.Dispose();
        _secondApi.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ASessionMadeThroughOneInstanceWorksThroughTheOtherUntilLoggedOutThroughEither()
    {
        var user = await _first.RegisterAsync();

        await (await _second.GetAsync("/api/me", user.Token)).ReadJsonAsync(HttpStatusCode.OK);
        await (await _second.PostAsync("/api/auth/logout", null, user.Token)).ReadJsonAsync(HttpStatusCode.NoContent);

        await (await _first.GetAsync("/api/me", user.Token)).ReadProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task FailedLoginsCountAcrossInstances()
    {
        // One client address, alternating between the instances: the per-address limit holds across them.
        using var sameAddress = new ApiClient(_secondApi.Address, _first.LocalAddress);
        var user = await _first.RegisterAsync();
        for (var i = 0; i < 10; i++)
        {
            var client = i % 2 == 0 ? _first : sameAddress;
            await (await client.PostAsync("/api/auth/login", new { email = user.Email, password = $"wrong {i}" })).ReadProblemAsync(HttpStatusCode.Unauthorized);
        }

        await (await _first.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password })).ReadProblemAsync(HttpStatusCode.TooManyRequests);
        await (await sameAddress.PostAsync("/api/auth/login", new { email = user.Email, password = user.Password })).ReadProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task NoInstancePurgesWhileAnotherHoldsThePurgeLock()
    {
        var user = await _first.RegisterAsync();
        var sessionId = AuthTests.Sha256Hex(user.Token);
        var stillThere = "SELECT count(*) FROM sessions WHERE id = $1";

        // Hold the lock every purge run takes, as a running purge on a third instance would.
        await using var connection = await app.Database.OpenConnectionAsync();
        await using (var take = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(x'43524d50555247'::bigint)", connection))
        {
            await take.ExecuteNonQueryAsync();
        }

        await app.Database.ExecuteAsync("UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = $1", sessionId);
        await Task.Delay(AppFixture.PurgeInterval * 3); // both instances tried at least twice
        Assert.Equal(1L, await app.Database.ScalarAsync<long>(stillThere, sessionId));

        await using (var release = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock(x'43524d50555247'::bigint)", connection))
        {
            await release.ExecuteNonQueryAsync();
        }

        var deadline = DateTime.UtcNow + AppFixture.PurgeInterval * 10;
        while (await app.Database.ScalarAsync<long>(stillThere, sessionId) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(AppFixture.PurgeInterval / 4);
        }

        Assert.Equal(0L, await app.Database.ScalarAsync<long>(stillThere, sessionId));
    }

    [Fact]
    public async Task TheAppHostRunsTheApiAsConfiguredReplicas()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
            ["--Api:Replicas=3", "--ConnectionStrings:crm=Host=localhost;Database=crm;Username=owner;Password=unused"], cts.Token);

        var api = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "api");

        Assert.True(api.TryGetLastAnnotation<ReplicaAnnotation>(out var replicas));
        Assert.Equal(3, replicas.Replicas);
    }
}
