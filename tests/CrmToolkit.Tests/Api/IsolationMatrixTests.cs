using System.Net;
using System.Text.Json;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// Every route under <c>/api/workspaces/{workspaceId}</c>, as the running app describes its own endpoints
/// (the OpenAPI document is generated from the endpoint data source), called against another workspace by
/// every kind of caller: always the same 404, never a 2xx, never a byte of the other workspace.
/// A route without an entry below fails the test, so new routes cannot skip the matrix. It runs on one PostgreSQL
/// (<see cref="IsolationMatrixTests"/>) and on a Citus cluster (<c>CitusIsolationMatrixTests</c>).
/// </summary>
public abstract class IsolationMatrix(ITestApp app) : IDisposable
{
    private const string WorkspaceRoutes = "/api/workspaces/{workspaceId}";

    // Created at first use: a Citus test first waits for its API.
    private ApiClient? _api;

    private ApiClient Client => _api ??= app.NewClient();

    public void Dispose()
    {
        _api?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>What to send to each workspace route, given the victim workspace.</summary>
    private static readonly Dictionary<string, Func<Victim, (string Path, object? Body)>> Matrix = new()
    {
        ["GET /api/workspaces/{workspaceId}"] = v => (v.Path(""), null),
        ["PATCH /api/workspaces/{workspaceId}"] = v => (v.Path(""), new { name = "taken over" }),
        ["DELETE /api/workspaces/{workspaceId}"] = v => (v.Path(""), null),
        ["GET /api/workspaces/{workspaceId}/members"] = v => (v.Path("/members"), null),
        ["PATCH /api/workspaces/{workspaceId}/members/{userId}"] = v => (v.Path($"/members/{v.Owner.UserId}"), new { role = "member" }),
        ["DELETE /api/workspaces/{workspaceId}/members/{userId}"] = v => (v.Path($"/members/{v.Owner.UserId}"), null),
        ["POST /api/workspaces/{workspaceId}/invitations"] = v => (v.Path("/invitations"), new { email = v.Intruder.Email, role = "owner" }),
        ["GET /api/workspaces/{workspaceId}/invitations"] = v => (v.Path("/invitations"), null),
        ["DELETE /api/workspaces/{workspaceId}/invitations/{invitationId}"] = v => (v.Path($"/invitations/{v.InvitationId}"), null),
        ["GET /api/workspaces/{workspaceId}/contacts"] = v => (v.Path("/contacts"), null),
        ["POST /api/workspaces/{workspaceId}/contacts"] = v => (v.Path("/contacts"), new { firstName = "Planted" }),
        ["GET /api/workspaces/{workspaceId}/contacts/{contactId}"] = v => (v.Path($"/contacts/{v.ContactId}"), null),
        ["PATCH /api/workspaces/{workspaceId}/contacts/{contactId}"] = v => (v.Path($"/contacts/{v.ContactId}"), new { firstName = "Changed" }),
        ["DELETE /api/workspaces/{workspaceId}/contacts/{contactId}"] = v => (v.Path($"/contacts/{v.ContactId}"), null),
    };

    public sealed record Victim(Account Owner, Account Intruder, string Name, Guid ContactId, Guid InvitationId)
    {
        public string Path(string suffix) => $"/api/workspaces/{Owner.WorkspaceId}{suffix}";
    }

    protected async Task EveryWorkspaceRouteHasAMatrixEntryAsync()
    {
        var routes = await WorkspaceRoutesFromTheAppAsync();

        Assert.NotEmpty(routes);
        Assert.Empty(routes.Except(Matrix.Keys));
        Assert.Empty(Matrix.Keys.Except(routes)); // no stale entries either
    }

    protected async Task NoCallerReachesAnotherWorkspaceThroughAnyRouteAsync()
    {
        var routes = await WorkspaceRoutesFromTheAppAsync();

        // The callers' own workspace A, with an owner, an admin and a member.
        var ownerA = await Client.RegisterAsync();
        var admin = await Client.RegisterAsync();
        var member = await Client.RegisterAsync();
        var adminToken = await Client.AddMemberAsync(ownerA, admin, "admin");
        var memberToken = await Client.AddMemberAsync(ownerA, member, "member");
        var outsider = await Client.RegisterAsync();

        // The victim workspace T. Its second owner is also in A, and calls with their session of A.
        var name = $"Victim {Guid.NewGuid():N}";
        var victimOwner = await Client.RegisterAsync(workspaceName: name);
        var coOwner = await Client.RegisterAsync();
        await Client.AddMemberAsync(victimOwner, coOwner, "owner");
        var coOwnerInA = await Client.AddMemberAsync(ownerA, coOwner, "admin");

        var callers = new Dictionary<string, string>
        {
            ["owner of A"] = ownerA.Token,
            ["admin of A"] = adminToken,
            ["member of A"] = memberToken,
            ["outsider"] = outsider.Token,
            ["owner of T with a session of A"] = coOwnerInA,
        };
        var contact = await (await Client.PostAsync($"/api/workspaces/{victimOwner.WorkspaceId}/contacts", new { firstName = name }, victimOwner.Token))
            .ReadJsonAsync(HttpStatusCode.Created);
        var invitation = await Client.InviteAsync(victimOwner, $"invitee-{Guid.NewGuid():N}@example.com", "member");
        var victim = new Victim(victimOwner, outsider, name, contact.GetProperty("id").GetGuid(), invitation);
        var before = await VictimStateAsync(victimOwner.WorkspaceId);

        foreach (var route in routes)
        {
            var method = new HttpMethod(route.Split(' ')[0]);
            var (path, body) = Matrix[route](victim);
            foreach (var (caller, token) in callers)
            {
                var response = await Client.SendAsync(method, path, body, token);
                var text = await response.Content.ReadAsStringAsync();

                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{route} as {caller}: {(int)response.StatusCode} {text}");
                Assert.DoesNotContain(victimOwner.WorkspaceId, text);
                Assert.DoesNotContain(name, text);
                Assert.DoesNotContain(victimOwner.Email, text);
            }
        }

        Assert.Equal(before, await VictimStateAsync(victimOwner.WorkspaceId));
    }

    protected async Task AMalformedWorkspaceIdIsTheSameNotFoundAsync()
    {
        var user = await Client.RegisterAsync();

        foreach (var id in new[] { "short", "abcdefghijklmnopqrstu", "%D9%A1%D9%A2%D9%A3%D9%A4%D9%A5%D9%A6%D9%A7%D9%A8%D9%A9%D9%A0", "zzzzzzzzzzzzzzz" })
        {
            await (await Client.GetAsync($"/api/workspaces/{id}", user.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
            await (await Client.GetAsync($"/api/workspaces/{id}/members", user.Token)).ReadProblemAsync(HttpStatusCode.NotFound);
        }
    }

    private async Task<List<string>> WorkspaceRoutesFromTheAppAsync()
    {
        var document = await (await Client.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
        return document.GetProperty("paths").EnumerateObject()
            .Where(path => path.Name.StartsWith(WorkspaceRoutes, StringComparison.Ordinal))
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(operation => operation.Value.ValueKind == JsonValueKind.Object && operation.Value.TryGetProperty("responses", out _))
                .Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .Order()
            .ToList();
    }

    private async Task<string> VictimStateAsync(string workspaceId) =>
        string.Join('\n', await app.Database.ListAsync(
            """
            SELECT 'workspace ' || name || ' ' || coalesce(description, '-') || ' ' || updated_at FROM workspaces WHERE id = $1
            UNION ALL
            SELECT 'member ' || user_id || ' ' || role FROM workspace_members WHERE workspace_id = $1
            UNION ALL
            SELECT 'contact ' || id || ' ' || first_name || ' ' || updated_at FROM contacts WHERE workspace_id = $1
            UNION ALL
            SELECT 'invitation ' || id || ' ' || email || ' ' || status FROM invitations WHERE workspace_id = $1
            ORDER BY 1
            """, workspaceId));
}

[Collection(AppCollection.Name)]
public sealed class IsolationMatrixTests(AppFixture app) : IsolationMatrix(app)
{
    [Fact]
    public Task EveryWorkspaceRouteHasAMatrixEntry() => EveryWorkspaceRouteHasAMatrixEntryAsync();

    [Fact]
    public Task NoCallerReachesAnotherWorkspaceThroughAnyRoute() => NoCallerReachesAnotherWorkspaceThroughAnyRouteAsync();

    [Fact]
    public Task AMalformedWorkspaceIdIsTheSameNotFound() => AMalformedWorkspaceIdIsTheSameNotFoundAsync();
}
