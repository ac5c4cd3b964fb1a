using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Infrastructure;

/// <summary>A string that, when given, is not empty or only white space (the API trims what it stores).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class NotBlankAttribute() : ValidationAttribute("The {0} field must not be blank.")
{
    public override bool IsValid(object? value) => value is not string text || !string.IsNullOrWhiteSpace(text);
}

/// <summary>An email address (checked trimmed, as it is stored), or empty (which clears it in a PATCH).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class EmailOrEmptyAttribute() : ValidationAttribute("The {0} field is not a valid e-mail address.")
{
    private static readonly TrimmedEmailAttribute Email = new();

    public override bool IsValid(object? value) => value is not string { Length: > 0 } || Email.IsValid(value);
}

/// <summary>
/// Text without control characters (Unicode category Cc: NUL, escape sequences, bells...). PostgreSQL cannot
/// store NUL at all, and a name or email with a line break or an escape sequence only ever serves to forge log
/// lines or terminals. <see cref="Multiline"/> text (notes, descriptions) may hold tabs and line breaks.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class PlainTextAttribute() : ValidationAttribute("The {0} field must not contain control characters.")
{
    public bool Multiline { get; init; }

    public override bool IsValid(object? value) =>
        value is not string text || !text.Any(c => char.IsControl(c) && !(Multiline && c is '\t' or '\n' or '\r'));
}

/// <summary>An email address as the API stores it, trimmed: one @ with something on both sides, no line breaks.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class TrimmedEmailAttribute() : ValidationAttribute("The {0} field is not a valid e-mail address.")
{
    private static readonly EmailAddressAttribute Email = new();

    public override bool IsValid(object? value) => value is not string text || Email.IsValid(text.Trim());
}
