using System.Text.RegularExpressions;
using CrmToolkit.AspNetCore.Authorization;
using CrmToolkit.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace CrmToolkit.Api.Infrastructure;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>; the build's copy is checked in as <c>docs/openapi.json</c>): what
/// clients are generated from, so it says what docs/api.md says. The session's bearer scheme, every path parameter,
/// which body fields may be left out, and the problems of the "Errors" section on every route that can answer them.
/// </summary>
public static partial class CrmOpenApi
{
    private const string BearerScheme = "Bearer";

    private static readonly string[] ProblemJson = ["application/problem+json"];

    /// <summary><c>AddOpenApi()</c> with the transformers that describe the session, path parameters and optional fields.</summary>
    public static IServiceCollection AddCrmOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "The session's token, from register, login, switch or accepting an invitation.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (RequiresSession(context.Description.ActionDescriptor.EndpointMetadata))
                {
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
                }

                // The workspace policy reads {workspaceId}, no handler parameter binds it: it is a path parameter all the same.
                foreach (var name in RouteParameters(context.Description.RelativePath))
                {
                    operation.Parameters ??= [];
                    if (!operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name))
                    {
                        operation.Parameters.Insert(0, new OpenApiParameter
                        {
                            Name = name,
                            In = ParameterLocation.Path,
                            Required = true,
                            Schema = name == WorkspacePolicies.RouteValue ? WorkspaceIdSchema() : new OpenApiSchema { Type = JsonSchemaType.String },
                        });
                    }
                }

                // A handler's bare TypedResults.NotFound() reaches the client as the problem the status-code pages make of it.
                foreach (var (status, response) in operation.Responses ?? [])
                {
                    if (status[0] is '4' or '5' && response is OpenApiResponse { Content: null or { Count: 0 } } bare)
                    {
                        bare.Content = new Dictionary<string, OpenApiMediaType>
                        {
                            [ProblemJson[0]] = new() { Schema = new OpenApiSchemaReference(nameof(ProblemDetails), context.Document) },
                        };
                    }
                }

                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                // A converter writes it as a plain string; the schema says which strings.
                if (context.JsonTypeInfo.Type == typeof(WorkspaceId))
                {
                    var id = WorkspaceIdSchema();
                    (schema.Type, schema.MinLength, schema.MaxLength, schema.Pattern) = (id.Type, id.MinLength, id.MaxLength, id.Pattern);
                }

                // A request record's nullable field may be left out (it binds as null), as docs/api.md's `lastName?` says;
                // the schema would otherwise require every constructor parameter.
                if (context.ParameterDescription?.Source == BindingSource.Body && schema is { Required: { } required, Properties: { } properties })
                {
                    foreach (var (name, property) in properties.Where(p => p.Value.Type?.HasFlag(JsonSchemaType.Null) == true))
                    {
                        required.Remove(name);
                    }
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>
    /// Describes, on every route under <paramref name="api"/>, the problems its metadata says it can answer: 400 with
    /// a body, 401 with a session, 403 with a role or a proven email, 404 in a workspace, 429 when rate limited. A
    /// route declares the others it answers itself (<c>ProducesProblem</c>).
    /// </summary>
    public static RouteGroupBuilder WithProblemResponses(this RouteGroupBuilder api)
    {
        // Finally: after every other convention, so the route's own metadata (its policies, its body) is all there.
        ((IEndpointConventionBuilder)api).Finally(endpoint =>
        {
            var metadata = endpoint.Metadata;
            var problems = new SortedSet<int>();
            if (metadata.OfType<IAcceptsMetadata>().Any())
            {
                metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails), ProblemJson));
            }

            if (RequiresSession(metadata))
            {
                problems.Add(StatusCodes.Status401Unauthorized);
            }

            if (metadata.OfType<IAuthorizeData>().Any(a => a.Policy is WorkspacePolicies.Admin or WorkspacePolicies.Owner or WorkspacePolicies.VerifiedEmail))
            {
                problems.Add(StatusCodes.Status403Forbidden);
            }

            if (endpoint is RouteEndpointBuilder route && route.RoutePattern.GetParameter(WorkspacePolicies.RouteValue) is not null)
            {
                problems.Add(StatusCodes.Status404NotFound);
            }

            if (metadata.OfType<EnableRateLimitingAttribute>().Any())
            {
                problems.Add(StatusCodes.Status429TooManyRequests);
            }

            foreach (var status in problems)
            {
                metadata.Add(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), ProblemJson));
            }
        });
        return api;
    }

    private static OpenApiSchema WorkspaceIdSchema() =>
        new() { Type = JsonSchemaType.String, MinLength = WorkspaceId.MinLength, MaxLength = WorkspaceId.MaxLength, Pattern = "^[A-Za-z0-9]+$" };

    private static IEnumerable<string> RouteParameters(string? relativePath) =>
        RouteParameter().Matches(relativePath ?? "").Select(m => m.Groups["name"].Value);

    [GeneratedRegex(@"\{(?<name>[^}:?*]+)")]
    private static partial Regex RouteParameter();

    private static bool RequiresSession(IEnumerable<object> metadata) =>
        metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
}
