using Microsoft.OpenApi;

namespace CrmToolkit.AspNetCore.Idempotency;

public static class IdempotencyEndpointExtensions
{
    /// <summary>
    /// Makes a create route retry-safe (contract v1.2 "Retry-safe creates"): a request with an <c>Idempotency-Key</c>
    /// header is done once per user, workspace, route and key for 24 hours; a repeat with the same body gets the first
    /// response again (with <c>Idempotent-Replayed: true</c>), with another body a 422, and while the first still runs a
    /// 409. Without the header the route is unchanged.
    /// </summary>
    /// <remarks>
    /// For a route under <c>/workspaces/{workspaceId}</c> whose handler writes with the request's scoped
    /// <c>CrmDbContext</c> (plain <c>SaveChangesAsync</c>, or <c>ResilientTransaction</c>, which joins the key's
    /// transaction), and may run more than once when the database fails transiently. Never on a route whose response
    /// carries a session token: the response is stored for 24 hours.
    /// </remarks>
    public static RouteHandlerBuilder WithIdempotency(this RouteHandlerBuilder builder)
    {
        builder.Add(endpoint =>
        {
            if (endpoint is not RouteEndpointBuilder { RoutePattern.RawText: { } pattern }
                || endpoint.Metadata.OfType<HttpMethodMetadata>().LastOrDefault()?.HttpMethods is not [var method])
            {
                throw new InvalidOperationException($"WithIdempotency() applies to a route with one HTTP method ({endpoint.DisplayName}).");
            }

            var route = $"{method} {pattern.TrimEnd('/')}";
            if (route.Length > IdempotencyFilter.MaxRouteLength)
            {
                throw new InvalidOperationException($"WithIdempotency(): the route '{route}' is longer than {IdempotencyFilter.MaxRouteLength} characters.");
            }

            // The body must be read twice, by the handler's binding and for its hash, and binding runs before any filter:
            // buffer it here, in front of the route's request delegate, and only for requests that carry a key.
            var handle = endpoint.RequestDelegate
                ?? throw new InvalidOperationException($"WithIdempotency(): '{route}' has no request delegate.");
            endpoint.RequestDelegate = httpContext =>
            {
                if (httpContext.Request.Headers.ContainsKey(IdempotencyFilter.HeaderName))
                {
                    httpContext.Request.EnableBuffering(IdempotencyFilter.MaxBodyLength);
                }

                return handle(httpContext);
            };

            var filter = new IdempotencyFilter(route);
            endpoint.FilterFactories.Add((_, next) => context => filter.InvokeAsync(context, next));
        });

        return builder
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = IdempotencyFilter.HeaderName,
                    In = ParameterLocation.Header,
                    Description = "Makes the create safe to retry: the same key with the same body within 24 hours gets the first response again.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = IdempotencyFilter.MaxKeyLength, Pattern = "^[!-~]+$" },
                });
                return Task.CompletedTask;
            });
    }
}
