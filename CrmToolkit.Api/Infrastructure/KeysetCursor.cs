using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace CrmToolkit.Api.Infrastructure;

/// <summary>
/// Keyset paging shared by every list: page sizes, and the opaque <c>next</c>/<c>after</c> cursor, which is
/// the last row's sort key as base64url JSON. Clients must treat it as opaque.
/// </summary>
public static class KeysetCursor
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;
    private const int MaxCursorLength = 1024;

    public static string Encode<T>(T key) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(key));

    /// <summary>Decodes a cursor made by <see cref="Encode{T}"/>; false for anything else.</summary>
    public static bool TryDecode<T>(string cursor, [NotNullWhen(true)] out T? key, Func<T, bool> isComplete)
        where T : class
    {
        key = null;
        if (cursor.Length > MaxCursorLength || !Base64Url.IsValid(cursor))
        {
            return false;
        }

        var json = Base64Url.DecodeFromChars(cursor);
        // A cursor we issued holds values read from PostgreSQL, which cannot store NUL (nor bind it).
        if (json.AsSpan().IndexOf("\\u0000"u8) >= 0)
        {
            return false;
        }

        try
        {
            key = JsonSerializer.Deserialize<T>(json);
        }
        catch (JsonException)
        {
            return false;
        }

        return key is not null && isComplete(key);
    }

    public static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Invalid() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["after"] = ["Not a cursor returned by this API."] });
}
