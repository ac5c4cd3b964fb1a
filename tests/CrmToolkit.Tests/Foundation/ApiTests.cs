using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Foundation;

[Collection(AppCollection.Name)]
public sealed class ApiTests(AppFixture app)
{
    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task HealthEndpointsReportHealthy(string path)
    {
        var response = await app.Api.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("short")]
    [InlineData("abcdefghijklmnopqrstu")]
    [InlineData("abc%20defghijk")]
    [InlineData("%D9%A1%D9%A2%D9%A3%D9%A4%D9%A5%D9%A6%D9%A7%D9%A8%D9%A9%D9%A0")] // Arabic-Indic digits
    [InlineData("zzzzzzzzzzzzzzz")] // well-formed, unknown
    public async Task AMalformedOrUnknownWorkspaceIsANotFoundProblem(string workspaceId)
    {
        var response = await app.Api.GetAsync($"/api/workspaces/{workspaceId}");

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnUnknownRouteIsANotFoundProblem()
    {
        await AssertProblemAsync(await app.Api.GetAsync("/api/nothing-here"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnExistingWorkspaceIsReturnedInCamelCase()
    {
        var user = await app.Database.InsertUserAsync();
        var workspace = await app.Database.InsertWorkspaceAsync(user);

        var response = await app.Api.GetAsync($"/api/workspaces/{workspace}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(workspace, body.GetProperty("id").GetString());
        Assert.Equal("Test workspace", body.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("description").ValueKind);
        Assert.Equal(user, body.GetProperty("createdBy").GetGuid());
        Assert.True(body.GetProperty("createdAt").GetDateTimeOffset() <= body.GetProperty("updatedAt").GetDateTimeOffset());
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
    }
}
