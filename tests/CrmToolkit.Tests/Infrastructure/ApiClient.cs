using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>A signed-up user with a session: what most tests start from.</summary>
public sealed record Account(string Email, string Password, Guid UserId, string WorkspaceId, string Token);

/// <summary>
/// HTTP against the real API. Each client connects from its own loopback address (127.x.y.z), so that the
/// per-address rate limit sees every test as a different client, as real clients are.
/// </summary>
public sealed class ApiClient : IDisposable
{
    /// <summary>
    /// Sends a request's header values in this encoding instead of ASCII (HttpClient's default, which refuses
    /// anything else): UTF-8 for non-ASCII tokens, Latin-1 to put arbitrary bytes (invalid UTF-8) on the wire.
    /// </summary>
    public static readonly HttpRequestOptionsKey<System.Text.Encoding> HeaderEncoding = new("crm.header-encoding");

    private static int _nextAddress = 1;

    private readonly HttpClient _http;
    private readonly NpgsqlDataSource? _owner;

    /// <param name="baseAddress">The API.</param>
    /// <param name="localAddress">The loopback address to connect from; by default the next one.</param>
    /// <param name="owner">
    /// An owner connection to the API's database, with which <see cref="RegisterAsync"/> marks new accounts' emails as
    /// verified (the tests of proof of email itself go through the mail).
    /// </param>
    public ApiClient(Uri baseAddress, IPAddress? localAddress = null, NpgsqlDataSource? owner = null)
    {
        _owner = owner;
        LocalAddress = localAddress ?? NextLoopbackAddress();
        var local = LocalAddress;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            RequestHeaderEncodingSelector = (_, request) =>
                request?.Options.TryGetValue(HeaderEncoding, out var encoding) == true ? encoding : null,
        })
        {
            BaseAddress = baseAddress,
        };
    }

    public IPAddress LocalAddress { get; }

    public static IPAddress NextLoopbackAddress()
    {
        var n = Interlocked.Increment(ref _nextAddress);
        return new IPAddress([127, (byte)(n >> 16 & 0xFF), (byte)(n >> 8 & 0xFF), (byte)(n & 0xFF)]);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? token = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return _http.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _http.SendAsync(request);

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _http.SendAsync(request, cancellationToken);

    public Task<HttpResponseMessage> GetAsync(string path, string? token = null) => SendAsync(HttpMethod.Get, path, null, token);

    public Task<HttpResponseMessage> PostAsync(string path, object? body, string? token = null) => SendAsync(HttpMethod.Post, path, body, token);

    public Task<HttpResponseMessage> PatchAsync(string path, object? body, string? token = null) => SendAsync(HttpMethod.Patch, path, body, token);

    public Task<HttpResponseMessage> DeleteAsync(string path, string? token = null) => SendAsync(HttpMethod.Delete, path, null, token);

    /// <summary>
    /// Registers a new user (unique email) and returns the account with its first session. With an owner connection and
    /// <paramref name="verified"/>, the email counts as proven, as if its link had been opened (invitations need that).
    /// </summary>
    public async Task<Account> RegisterAsync(string? workspaceName = null, string password = "correct horse battery", bool verified = true)
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var response = await PostAsync("/api/auth/register", new { email, password, name = "Test User", workspaceName });
        var body = await response.ReadJsonAsync(HttpStatusCode.Created);
        var account = new Account(
            email,
            password,
            body.GetProperty("user").GetProperty("id").GetGuid(),
            body.GetProperty("workspace").GetProperty("id").GetString()!,
            body.GetProperty("session").GetProperty("token").GetString()!);
        if (verified && _owner is not null)
        {
            await _owner.ExecuteAsync("UPDATE users SET email_verified = true WHERE id = $1", account.UserId);
        }

        return account;
    }

    /// <summary>Logs in (optionally into one workspace) and returns the new token.</summary>
    public async Task<string> LoginAsync(Account account, string? workspaceId = null)
    {
        var response = await PostAsync("/api/auth/login", new { email = account.Email, password = account.Password, workspaceId });
        var body = await response.ReadJsonAsync(HttpStatusCode.OK);
        return body.GetProperty("session").GetProperty("token").GetString()!;
    }

    /// <summary>
    /// Makes an existing user a member of the admin's workspace with a role, the only way there is: the admin invites,
    /// the user accepts. Returns a token of that user's session in the workspace (the user's other tokens stay valid).
    /// </summary>
    public async Task<string> AddMemberAsync(Account admin, Account user, string role)
    {
        var invitation = await InviteAsync(admin, user.Email, role);
        return await AcceptAsync(await LoginAsync(user), invitation);
    }

    /// <summary>Invites an email into the admin's workspace; returns the invitation's id.</summary>
    public async Task<Guid> InviteAsync(Account admin, string email, string role)
    {
        var response = await PostAsync($"/api/workspaces/{admin.WorkspaceId}/invitations", new { email, role }, admin.Token);
        return (await response.ReadJsonAsync(HttpStatusCode.Created)).GetProperty("id").GetGuid();
    }

    /// <summary>Accepts an invitation with a session of the invitee (which ends); returns the new session's token.</summary>
    public async Task<string> AcceptAsync(string inviteeToken, Guid invitationId)
    {
        var response = await PostAsync($"/api/me/invitations/{invitationId}/accept", null, inviteeToken);
        return (await response.ReadJsonAsync(HttpStatusCode.OK)).GetProperty("session").GetProperty("token").GetString()!;
    }

    /// <summary>Registers <paramref name="count"/> new users and adds each to the owner's workspace as a member.</summary>
    public async Task<List<Account>> AddNewMembersAsync(Account owner, int count)
    {
        var members = new List<Account>();
        for (var i = 0; i < count; i++)
        {
            var member = await RegisterAsync();
            await AddMemberAsync(owner, member, "member");
            members.Add(member);
        }

        return members;
    }

    public void Dispose() => _http.Dispose();
}

public static class HttpAssertions
{
    /// <summary>Asserts the status and returns the JSON body.</summary>
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 9457 problem with the status, and returns it.</summary>
    public static async Task<JsonElement> ReadProblemAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await response.ReadJsonAsync(expected);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        return problem;
    }
}
