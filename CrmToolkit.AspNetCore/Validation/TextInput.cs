using System.Text;

namespace CrmToolkit.AspNetCore.Validation;

/// <summary>
/// How text is stored once it passed validation: trimmed, in Unicode normalization form C, so that two spellings of
/// the same letters (a precomposed "é" and "e" + combining accent) are one value in lookups and lists.
/// </summary>
public static class TextInput
{
    public static string Clean(string value) => value.Trim().Normalize(NormalizationForm.FormC);

    /// <summary><c>null</c> for a missing or blank value (which clears an optional field), else <see cref="Clean"/>.</summary>
    public static string? CleanOptional(string? value) => string.IsNullOrWhiteSpace(value) ? null : Clean(value);

    /// <summary>Multi-line text (contact notes, workspace descriptions): normalized, its own spacing kept; empty is none.</summary>
    public static string? Multiline(string? value) => string.IsNullOrEmpty(value) ? null : value.Normalize(NormalizationForm.FormC);
}
