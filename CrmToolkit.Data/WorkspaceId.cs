using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrmToolkit.Data;

/// <summary>
/// A workspace (tenant) identifier: 10 to 20 ASCII letters or digits. The design document generated
/// ids with <c>Math.random</c>; <see cref="New"/> uses a CSPRNG instead, because a workspace id is part
/// of every URL and must not be guessable from another one.
/// </summary>
[JsonConverter(typeof(WorkspaceIdJsonConverter))]
public readonly record struct WorkspaceId : IParsable<WorkspaceId>
{
    public const int MinLength = 10;
    public const int MaxLength = 20;
    public const int GeneratedLength = 15;

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly SearchValues<char> AllowedChars = SearchValues.Create(Alphabet);

    private readonly string? _value;

    private WorkspaceId(string value) => _value = value;

    public string Value => _value ?? throw new InvalidOperationException("An uninitialised WorkspaceId has no value.");

    /// <summary>Generates a new 15-character id from a cryptographically secure random source.</summary>
    public static WorkspaceId New() => new(RandomNumberGenerator.GetString(Alphabet, GeneratedLength));

    /// <summary>True when <paramref name="value"/> is 10 to 20 ASCII letters or digits (no other Unicode letters or digits).</summary>
    public static bool IsValid([NotNullWhen(true)] string? value) =>
        value is { Length: >= MinLength and <= MaxLength } && !value.AsSpan().ContainsAnyExcept(AllowedChars);

    public static WorkspaceId Parse(string s, IFormatProvider? provider = null) =>
        TryParse(s, provider, out var id)
            ? id
            : throw new FormatException($"A workspace id is {MinLength} to {MaxLength} ASCII letters or digits.");

    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out WorkspaceId result)
    {
        result = IsValid(s) ? new WorkspaceId(s) : default;
        return s is not null && result._value is not null;
    }

    public static bool TryParse([NotNullWhen(true)] string? s, out WorkspaceId result) => TryParse(s, null, out result);

    public override string ToString() => _value ?? string.Empty;
}

internal sealed class WorkspaceIdJsonConverter : JsonConverter<WorkspaceId>
{
    public override WorkspaceId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        WorkspaceId.TryParse(reader.GetString(), out var id)
            ? id
            : throw new JsonException($"A workspace id is {WorkspaceId.MinLength} to {WorkspaceId.MaxLength} ASCII letters or digits.");

    public override void Write(Utf8JsonWriter writer, WorkspaceId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value);
}
