using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CrmToolkit.Tests.Deployment;

namespace CrmToolkit.Tests.Api;

/// <summary>
/// docs/openapi.json, the checked-in OpenAPI document that clients are generated from, is the one building the API
/// writes (obj/CrmToolkit.Api.json, by Microsoft.Extensions.ApiDescription.Server), and it holds every route of
/// docs/api.md with the statuses the contract names.
/// </summary>
public sealed partial class OpenApiDocumentTests
{
    public const string RefreshCommand = "dotnet build CrmToolkit.Api && cp CrmToolkit.Api/obj/CrmToolkit.Api.json docs/openapi.json";

    private static readonly string CheckedIn = Repository.Path("docs", "openapi.json");
    private static readonly string Built = Repository.Path("CrmToolkit.Api", "obj", "CrmToolkit.Api.json");

    [Fact]
    public void TheCheckedInOpenApiDocumentIsTheOneTheBuildWrites()
    {
        Assert.True(File.Exists(Built), $"The build wrote no {Built}: build CrmToolkit.Api (with OpenApiGenerateDocuments, the default).");

        Assert.True(JsonNode.DeepEquals(Read(Built), Read(CheckedIn)),
            $"docs/openapi.json is not the document the API's build writes: the API changed. Refresh it with `{RefreshCommand}` " +
            "and, for the TypeScript client, `npm run generate` in clients/typescript.");
    }

    [Fact]
    public void EveryRouteOfTheContractIsInTheDocumentWithTheStatusesItNames()
    {
        var paths = Read(CheckedIn)["paths"]!.AsObject();
        var documented = new HashSet<(string, string)>();
        foreach (var line in File.ReadLines(Repository.Path("docs", "api.md")))
        {
            // | `POST /workspaces/{workspaceId}/contacts` `{...}` | who | success | notable failures |
            if (RouteRow().Match(line) is not { Success: true } row)
            {
                continue;
            }

            var method = row.Groups["method"].Value.ToLowerInvariant();
            var path = "/api" + row.Groups["path"].Value.TrimEnd('/');
            documented.Add((method, path));
            var operation = paths[path]?[method];
            Assert.True(operation is not null, $"docs/api.md has {method.ToUpperInvariant()} {path}; the OpenAPI document does not.");

            var responses = operation["responses"]!.AsObject();
            var cells = line.Split('|');
            foreach (var status in Status().Matches(cells[3] + cells[4]).Select(m => m.Value).Distinct())
            {
                Assert.True(responses.ContainsKey(status), $"{method.ToUpperInvariant()} {path}: docs/api.md names {status}, the document does not.");
            }

            foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
            {
                Assert.True(response!["content"]?["application/problem+json"] is not null, $"{method.ToUpperInvariant()} {path}: {status} is not a problem.");
            }
        }

        Assert.NotEmpty(documented);
        var undocumented = paths.SelectMany(p => p.Value!.AsObject().Select(o => (o.Key, p.Key))).Where(o => !documented.Contains(o));
        Assert.Empty(undocumented);
    }

    private static JsonNode Read(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    [GeneratedRegex(@"^\| `(?<method>GET|POST|PUT|PATCH|DELETE) (?<path>/[^`?]*)")]
    private static partial Regex RouteRow();

    [GeneratedRegex(@"\b[1-5]\d\d\b")]
    private static partial Regex Status();
}
