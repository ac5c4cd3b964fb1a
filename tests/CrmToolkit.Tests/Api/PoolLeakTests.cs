using System.Net;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// With the API's connection pool forced small (see <see cref="AppFixture.PoolSize"/>) and its pooled contexts
/// reused, thousands of interleaved requests from two workspaces: a context or connection that carried one request's
/// workspace into the next would show the other workspace's rows.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class PoolLeakTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task EveryResponseHoldsOnlyItsOwnWorkspacesRows()
    {
        var tenants = new List<(Account Owner, string[] Emails)>();
        for (var t = 0; t < 2; t++)
        {
            var owner = await _client.RegisterAsync();
            var member = await _client.RegisterAsync();
            await _client.AddMemberAsync(owner, member, "member");
            var contact = $"contact-{Guid.NewGuid():N}@example.com";
            await (await _client.PostAsync($"/api/workspaces/{owner.WorkspaceId}/contacts", new { firstName = "Pooled", email = contact }, owner.Token))
                .ReadJsonAsync(HttpStatusCode.Created);
            tenants.Add((owner, [owner.Email, member.Email, contact]));
        }

        const int requests = 2000;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var (own, other) = i % 2 == 0 ? (tenants[0], tenants[1]) : (tenants[1], tenants[0]);
            var path = (i % 6) switch
            {
                < 2 => $"/api/workspaces/{own.Owner.WorkspaceId}/members",
                < 4 => $"/api/workspaces/{own.Owner.WorkspaceId}/contacts",
                _ => "/api/me",
            };
            var response = await _client.GetAsync(path, own.Owner.Token);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK
                || !text.Contains(own.Owner.WorkspaceId, StringComparison.Ordinal) && path == "/api/me"
                || path.EndsWith("/members", StringComparison.Ordinal) && !own.Emails.Take(2).All(e => text.Contains(e, StringComparison.Ordinal))
                || path.EndsWith("/contacts", StringComparison.Ordinal) && !text.Contains(own.Emails[2], StringComparison.Ordinal)
                || text.Contains(other.Owner.WorkspaceId, StringComparison.Ordinal)
                || other.Emails.Any(e => text.Contains(e, StringComparison.Ordinal)))
            {
                failures.Add($"{path}: {(int)response.StatusCode} {text}");
            }
        });

        Assert.Empty(failures);
    }
}
