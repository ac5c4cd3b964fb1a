using System.Security.Cryptography;
using System.Text;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Primitives;

namespace CrmToolkit.AspNetCore.Idempotency;

/// <summary>
/// Contract v1.2 "Retry-safe creates" for one route (see <see cref="IdempotencyEndpointExtensions.WithIdempotency"/>). A
/// request with an <c>Idempotency-Key</c> runs in one transaction of the scoped <see cref="CrmDbContext"/>, inside its
/// execution strategy: an advisory lock on (workspace, user, route, key), the key's record, then either the recorded
/// response or the handler, whose 2xx response is recorded before the same commit.
/// </summary>
/// <remarks>
/// Why it is built this way:
/// <list type="bullet">
/// <item>The record is written in the create's own transaction, so "created" and "recorded" are one fact: a create that
/// committed behind a lost response is found by the retry and replayed, never repeated, and a create that rolled back
/// left no record to replay. When the commit itself fails transiently, EF's strategy runs the whole attempt again, and
/// the attempt finds the record if the commit had in fact happened.</item>
/// <item><c>pg_try_advisory_xact_lock</c> rather than waiting on the unique index: a duplicate sent while the first
/// request runs is answered 409 at once instead of queueing behind it, holding a connection of a small pool. The lock
/// is held by the transaction, so it ends with it, also when the connection dies; it works across API instances.</item>
/// <item>The handler's result is executed into a buffer, within the transaction: what is stored is exactly the status,
/// body and <c>Location</c> the client receives (the result's own serialization, the app's JSON options), and nothing
/// reaches the client before the commit. Only 2xx responses are stored; anything else rolls the attempt back, so a
/// failed create can be corrected and sent again with the same key.</item>
/// <item>The body is compared by the SHA-256 of its bytes: the same key with another body is a client's mistake (422),
/// not a request to replay.</item>
/// <item>The record is workspace-scoped: the query filter and row-level security keep each workspace's keys to itself,
/// and the user is part of the key, so nobody ever sees another user's or workspace's response.</item>
/// </list>
/// </remarks>
public sealed class IdempotencyFilter(string route)
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeaderName = "Idempotent-Replayed";
    public const int MaxKeyLength = 255;

    /// <summary>The longest route (method and pattern) <c>idempotency_keys.route</c> holds.</summary>
    public const int MaxRouteLength = 255;

    /// <summary>The largest body Kestrel accepts (Program.cs): buffered in memory, never in a file.</summary>
    public const int MaxBodyLength = 64 * 1024;

    /// <summary>How long a key is remembered; the purge job deletes older records.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>1 to 255 visible ASCII characters (<c>!</c> to <c>~</c>).</summary>
    public static bool IsValidKey(string? key) => key is { Length: >= 1 and <= MaxKeyLength } && key.All(c => c is >= '!' and <= '~');

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!http.Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return await next(context);
        }

        if (values.Count != 1 || !IsValidKey(values[0]))
        {
            return TypedResults.Problem(
                title: "Bad Request",
                detail: $"The {HeaderName} header must be one value of 1 to {MaxKeyLength} visible ASCII characters.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var key = values[0]!;
        var db = http.RequestServices.GetRequiredService<CrmDbContext>();
        if (db.CurrentWorkspaceId is not { } workspaceId || db.CurrentUserId is not { } userId)
        {
            throw new InvalidOperationException($"{route}: WithIdempotency() needs a workspace route with a signed-in session.");
        }

        var requestHash = await HashBodyAsync(http.Request, http.RequestAborted);
        var expiredBefore = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow() - Lifetime;
        var lockName = $"idempotency\n{workspaceId}\n{userId}\n{route}\n{key}"; // no part can hold a line break
        var response = new ResponseState(http.Response);

        var outcome = await ResilientTransaction.New(db).ExecuteAsync(async ct =>
        {
            response.Restore();
            var locked = await db.Database
                .SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock(hashtextextended({lockName}, 0)) AS \"Value\"")
                .SingleAsync(ct);
            if (!locked)
            {
                return new Outcome(InProgress(), Commit: false);
            }

            var record = await db.IdempotencyRecords.AsNoTracking()
                .SingleOrDefaultAsync(r => r.UserId == userId && r.Route == route && r.Key == key, ct);
            if (record is not null && record.CreatedAt > expiredBefore)
            {
                return new Outcome(record.RequestHash == requestHash ? new ReplayResult(record) : OtherBody(), Commit: false);
            }

            if (record is not null)
            {
                // Past its 24 hours and not purged yet: the key is free again.
                await db.IdempotencyRecords.Where(r => r.Id == record.Id).ExecuteDeleteAsync(ct);
            }

            var result = await ExecuteIntoBufferAsync(http, await next(context));
            var status = http.Response.StatusCode;
            if (status is < 200 or > 299)
            {
                return new Outcome(result, Commit: false);
            }

            db.IdempotencyRecords.Add(new IdempotencyRecord
            {
                Id = Guid.CreateVersion7(),
                UserId = userId,
                Key = key,
                Route = route,
                RequestHash = requestHash,
                StatusCode = status,
                ResponseBody = result.Body.Length == 0 ? null : Encoding.UTF8.GetString(result.Body),
                Location = StringValues.IsNullOrEmpty(http.Response.Headers.Location) ? null : http.Response.Headers.Location.ToString(),
            });
            await db.SaveChangesAsync(ct);
            return new Outcome(result, Commit: true);
        }, outcome => outcome.Commit, http.RequestAborted);

        return outcome.Result;
    }

    // WithIdempotency buffered the body before the handler's parameters were bound (which read it once already).
    private static async Task<string> HashBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        request.Body.Position = 0;
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(request.Body, cancellationToken));
    }

    // Status and headers go to the response as usual; the body into a buffer, written out once the transaction is done.
    private static async Task<BufferedResult> ExecuteIntoBufferAsync(HttpContext http, object? handlerResult)
    {
        var result = handlerResult as IResult ?? (handlerResult is string text ? TypedResults.Text(text) : TypedResults.Json(handlerResult));
        var original = http.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        using var buffer = new MemoryStream();
        var capture = new StreamResponseBodyFeature(buffer, original);
        http.Features.Set<IHttpResponseBodyFeature>(capture);
        try
        {
            await result.ExecuteAsync(http);
            await capture.CompleteAsync();
        }
        finally
        {
            http.Features.Set(original);
        }

        return new BufferedResult(buffer.ToArray());
    }

    private static ProblemHttpResult InProgress() => TypedResults.Problem(
        title: "Conflict",
        detail: $"A request with this {HeaderName} is still in progress. Send it again once that one has finished.",
        statusCode: StatusCodes.Status409Conflict);

    private static ProblemHttpResult OtherBody() => TypedResults.Problem(
        title: "Unprocessable Content",
        detail: $"This {HeaderName} was used with another request body. Use a new key for a new request.",
        statusCode: StatusCodes.Status422UnprocessableEntity);

    private sealed record Outcome(IResult Result, bool Commit);

    private sealed class BufferedResult(byte[] body) : IResult
    {
        public byte[] Body => body;

        public Task ExecuteAsync(HttpContext httpContext) =>
            body.Length == 0 ? Task.CompletedTask : httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
    }

    /// <summary>The first response again: its status, JSON body and <c>Location</c>, marked as a replay.</summary>
    private sealed class ReplayResult(IdempotencyRecord record) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = record.StatusCode;
            response.Headers[ReplayedHeaderName] = "true";
            if (record.Location is not null)
            {
                response.Headers.Location = record.Location;
            }

            if (record.ResponseBody is not null)
            {
                response.ContentType = "application/json; charset=utf-8";
                await response.WriteAsync(record.ResponseBody, Encoding.UTF8, httpContext.RequestAborted);
            }
        }
    }

    /// <summary>
    /// The response's status and headers before the first attempt: an attempt that executed its result and then failed
    /// to commit must not leave them to the next one.
    /// </summary>
    private sealed class ResponseState
    {
        private readonly HttpResponse _response;
        private readonly int _statusCode;
        private readonly KeyValuePair<string, StringValues>[] _headers;

        public ResponseState(HttpResponse response)
        {
            _response = response;
            _statusCode = response.StatusCode;
            _headers = [.. response.Headers];
        }

        public void Restore()
        {
            _response.StatusCode = _statusCode;
            _response.Headers.Clear();
            foreach (var (name, value) in _headers)
            {
                _response.Headers[name] = value;
            }
        }
    }
}
