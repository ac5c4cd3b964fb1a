using System.Buffers.Text;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace CrmToolkit.AspNetCore.Paging;

/// <summary>
/// Keyset paging shared by every list: page sizes, and the opaque <c>next</c>/<c>after</c> cursor. A cursor is the
/// last row's sort key as JSON, protected (encrypted and authenticated) with ASP.NET Core Data Protection for one list
/// of one owner, in base64url: a client can neither read nor make one, and a cursor of another list or another
/// workspace does not unprotect. Every replica shares the key ring (<see cref="KeysetCursorExtensions"/>).
/// </summary>
public sealed class KeysetCursor(IDataProtectionProvider dataProtection)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 100;

    /// <summary>The Data Protection purpose of every cursor; the list and its owner are sub-purposes.</summary>
    public const string Purpose = "CrmToolkit.KeysetCursor.v1";

    // The longest cursor issued: a member's email of 255 characters outside the BMP, each escaped as two \uXXXX
    // (3 KB of JSON), plus the protection's 84 bytes, in base64url. Anything longer was not issued here.
    private const int MaxCursorLength = 6 * 1024;

    private readonly IDataProtector _protector = dataProtection.CreateProtector(Purpose);

    /// <summary>The cursor that resumes <paramref name="list"/> of <paramref name="owner"/> after <paramref name="key"/>.</summary>
    /// <param name="list">The list, e.g. "contacts": a cursor of one list is refused by every other.</param>
    /// <param name="owner">Whose list it is (a workspace id, or a user id for the user's own lists): another's cursor is refused.</param>
    /// <param name="key">The sort key of the page's last row.</param>
    public string Encode<T>(string list, string owner, T key) =>
        Base64Url.EncodeToString(_protector.CreateProtector(list, owner).Protect(JsonSerializer.SerializeToUtf8Bytes(key)));

    /// <summary>
    /// Decodes a cursor made by <see cref="Encode{T}"/> for the same list and owner; false for anything else, or for a
    /// key that <paramref name="isComplete"/> refuses.
    /// </summary>
    public bool TryDecode<T>(string list, string owner, string cursor, [NotNullWhen(true)] out T? key, Func<T, bool> isComplete)
        where T : class
    {
        key = null;
        if (cursor.Length > MaxCursorLength || !Base64Url.IsValid(cursor))
        {
            return false;
        }

        byte[] json;
        try
        {
            var protectedBytes = Base64Url.DecodeFromChars(cursor);
            // Only the one spelling Encode writes: no padding, whitespace or stray low bits that decode to the same bytes.
            if (!string.Equals(Base64Url.EncodeToString(protectedBytes), cursor, StringComparison.Ordinal))
            {
                return false;
            }

            json = _protector.CreateProtector(list, owner).Unprotect(protectedBytes);
        }
        catch (FormatException)
        {
            return false;
        }
        catch (CryptographicException e) when (!KeyRingUnreadable(e))
        {
            return false;
        }

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

    /// <summary>
    /// The page of <paramref name="rows"/>, read with one row more than <paramref name="size"/> (the one that tells
    /// whether a next page exists): the first <paramref name="size"/> rows, and the cursor after the last of them.
    /// </summary>
    public Page<T> ToPage<T, TKey>(List<T> rows, int size, string list, string owner, Func<T, TKey> keyOf)
    {
        if (rows.Count <= size)
        {
            return new Page<T>(rows, null);
        }

        rows.RemoveRange(size, rows.Count - size);
        return new Page<T>(rows, Encode(list, owner, keyOf(rows[^1])));
    }

    public static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Invalid() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["after"] = ["Not a cursor returned by this API."] });

    // Data Protection reports every failure as a CryptographicException, also a key ring it could not read from the
    // database: that one is the server's (503 once the exception handler sees the database's exception), not the cursor's.
    private static bool KeyRingUnreadable(Exception exception)
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            if (e is DbException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
