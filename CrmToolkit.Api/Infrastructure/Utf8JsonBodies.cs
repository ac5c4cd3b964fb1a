using Microsoft.Net.Http.Headers;

namespace CrmToolkit.Api.Infrastructure;

public static class Utf8JsonBodies
{
    /// <summary>
    /// A body declared in a charset other than UTF-8 is a 415 problem, before anything reads it. Minimal APIs would
    /// transcode it (and throw for a charset .NET does not know); JSON is UTF-8 (RFC 8259), and accepting UTF-16 or
    /// Latin-1 would let two clients send the same text as different bytes past every check that looks at bytes.
    /// </summary>
    public static IApplicationBuilder UseUtf8JsonBodies(this IApplicationBuilder app) => app.Use((context, next) =>
        MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) && type.Charset.HasValue && !IsUtf8(type.Charset.Value!)
            ? TypedResults.Problem(
                title: "Unsupported Media Type",
                detail: "The request's charset is not supported: send JSON in UTF-8.",
                statusCode: StatusCodes.Status415UnsupportedMediaType).ExecuteAsync(context)
            : next(context));

    // Exactly as minimal APIs read it: a quoted "utf-8" is a name .NET's encodings do not know, so it is refused too.
    private static bool IsUtf8(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
}
