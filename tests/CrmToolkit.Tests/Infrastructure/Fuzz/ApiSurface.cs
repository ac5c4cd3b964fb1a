using System.Net;
using System.Text.Json;

namespace CrmToolkit.Tests.Infrastructure.Fuzz;

/// <summary>One documented operation: method, path template, request body properties, query parameters, 2xx statuses.</summary>
public sealed record ApiOperation(
    string Method,
    string Template,
    IReadOnlyList<BodyProperty>? Body,
    IReadOnlyList<string> Query,
    IReadOnlySet<int> Successes)
{
    public string Name => $"{Method} {Template}";

    public IReadOnlyList<string> PathParameters { get; } =
        Template.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}')).ToList();

    /// <summary>Does <paramref name="path"/> (decoded, as the server routes it) fit this template?</summary>
    public bool Matches(string method, string path)
    {
        if (!string.Equals(method, Method, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var template = Template.Trim('/').Split('/');
        var segments = path.TrimEnd('/').Trim('/').Split('/');
        return template.Length == segments.Length
            && template.Zip(segments).All(p => p.First.StartsWith('{')
                ? p.Second.Length > 0
                : string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>A property of a request body schema: its JSON name, JSON type and whether it is required.</summary>
public sealed record BodyProperty(string Name, string Type, bool Required);

/// <summary>The API as its own OpenAPI document describes it, so a new endpoint is fuzzed without being listed anywhere.</summary>
public sealed class ApiSurface(IReadOnlyList<ApiOperation> operations)
{
    public IReadOnlyList<ApiOperation> Operations { get; } = operations;

    public static async Task<ApiSurface> ReadAsync(ApiClient client)
    {
        var document = await (await client.GetAsync("/openapi/v1.json")).ReadJsonAsync(HttpStatusCode.OK);
        var schemas = document.TryGetProperty("components", out var components) && components.TryGetProperty("schemas", out var s)
            ? s
            : default;
        var operations = new List<ApiOperation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("responses", out _)))
            {
                var successes = operation.Value.GetProperty("responses").EnumerateObject()
                    .Select(r => int.TryParse(r.Name, out var code) ? code : 0)
                    .Where(code => code is >= 200 and < 300)
                    .ToHashSet();
                var query = operation.Value.TryGetProperty("parameters", out var parameters)
                    ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!).ToList()
                    : [];
                IReadOnlyList<BodyProperty>? body = null;
                if (operation.Value.TryGetProperty("requestBody", out var requestBody)
                    && requestBody.GetProperty("content").TryGetProperty("application/json", out var json))
                {
                    body = Properties(Resolve(json.GetProperty("schema"), schemas));
                }

                operations.Add(new ApiOperation(operation.Name.ToUpperInvariant(), path.Name, body, query, successes));
            }
        }

        return new ApiSurface(operations.OrderBy(o => o.Name, StringComparer.Ordinal).ToList());
    }

    /// <summary>The 2xx statuses documented for whatever route <paramref name="path"/> reaches (none for an unknown route).</summary>
    public IReadOnlySet<int> DocumentedSuccesses(string method, string path) =>
        Operations.Where(o => o.Matches(method, path)).SelectMany(o => o.Successes).ToHashSet();

    private static JsonElement Resolve(JsonElement schema, JsonElement schemas) =>
        schema.TryGetProperty("$ref", out var reference)
            ? schemas.GetProperty(reference.GetString()!.Split('/')[^1])
            : schema;

    private static List<BodyProperty> Properties(JsonElement schema)
    {
        var required = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(e => e.GetString()!).ToHashSet() : [];
        if (!schema.TryGetProperty("properties", out var properties))
        {
            return [];
        }

        return properties.EnumerateObject().Select(p => new BodyProperty(p.Name, TypeOf(p.Value), required.Contains(p.Name))).ToList();
    }

    // OpenAPI 3.1 writes nullable types as ["null", "string"]; the body generator only needs the non-null one.
    private static string TypeOf(JsonElement schema) =>
        !schema.TryGetProperty("type", out var type) ? "string"
        : type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).FirstOrDefault(t => t != "null") ?? "string"
        : type.GetString() ?? "string";
}
