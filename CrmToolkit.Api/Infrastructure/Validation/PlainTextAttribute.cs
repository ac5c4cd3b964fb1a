using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace CrmToolkit.Api.Infrastructure.Validation;

/// <summary>
/// Text without control or format characters (Unicode categories Cc and Cf: NUL, escape sequences, zero-width
/// characters, bidirectional overrides). PostgreSQL cannot store NUL at all; a line break or an escape sequence in a
/// name or an email only ever serves to forge log lines, and an invisible or reordering character to make one account
/// look like another in a member list. <see cref="Multiline"/> text (notes, descriptions) may hold tabs and line breaks.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class PlainTextAttribute() : ValidationAttribute("The {0} field must not contain control or format characters.")
{
    public bool Multiline { get; init; }

    public override bool IsValid(object? value) => value is not string text || !text.Any(IsRefused);

    private bool IsRefused(char c) =>
        char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format && !(Multiline && c is '\t' or '\n' or '\r');
}
