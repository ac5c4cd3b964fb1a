using System.Net;
using System.Text;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Api;

/// <summary>Health, documents, and ProblemDetails for every error the HTTP layer itself produces.</summary>
[Collection(AppCollection.Name)]
public sealed class ProtocolTests(AppFixture app) : IDisposable
{
    private readonly ApiClient _client = app.NewClient();

    public void Dispose() => _client.Dispose();

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task HealthEndpointsReportHealthy(string path)
    {
        var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnUnknownRouteIsANotFoundProblem() =>
        await (await _client.GetAsync("/api/nothing-here")).ReadProblemAsync(HttpStatusCode.NotFound);

    [Fact]
    public async Task AnUnknownMethodIsAMethodNotAllowedProblem() =>
        await (await _client.SendAsync(HttpMethod.Put, "/api/auth/login")).ReadProblemAsync(HttpStatusCode.MethodNotAllowed);

    [Fact]
    public async Task AWrongContentTypeIsAnUnsupportedMediaTypeProblem()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
        {
            Content = new StringContent("email=a&password=b", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };

        await (await _client.SendAsync(request)).ReadProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("iso-8859-1")]
    [InlineData("us-ascii")]
    [InlineData("no-such-charset")]
    public async Task AJsonBodyInACharsetOtherThanUtf8IsAnUnsupportedMediaTypeProblem(string charset)
    {
        var body = $$"""{"email":"charset-{{Guid.NewGuid():N}}@example.com","password":"correct horse battery","name":"Latin"}""";
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/register") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = charset };

        await (await _client.SendAsync(request)).ReadProblemAsync(HttpStatusCode.UnsupportedMediaType);

        // Nothing was stored: the same body in UTF-8 registers.
        var utf8 = new HttpRequestMessage(HttpMethod.Post, "/api/auth/register") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        await (await _client.SendAsync(utf8)).ReadJsonAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task ABodyOver64KbIsAContentTooLargeProblem()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/register")
        {
            Content = new StringContent($$"""{"email":"a@example.com","password":"{{new string('x', 70_000)}}","name":"n"}""", Encoding.UTF8, "application/json"),
        };

        await (await _client.SendAsync(request)).ReadProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("{\"email\":")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"email\": 42, \"password\": true}")]
    public async Task AMalformedJsonBodyIsABadRequestProblem(string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };

        var problem = await (await _client.SendAsync(request)).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.DoesNotContain("Exception", problem.ToString());
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheContract()
    {
        var document = await (await _client.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
        var paths = document.GetProperty("paths");

        foreach (var path in new[] { "/api/auth/register", "/api/auth/login", "/api/auth/switch", "/api/auth/logout", "/api/me", "/api/me/workspaces",
                     "/api/workspaces", "/api/workspaces/{workspaceId}", "/api/workspaces/{workspaceId}/members", "/api/workspaces/{workspaceId}/members/{userId}" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }
    }

    [Fact]
    public async Task TheScalarReferenceIsServedInDevelopment()
    {
        var response = await _client.GetAsync("/scalar/v1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
