using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;

namespace CrmToolkit.AspNetCore.Validation;

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

    public override bool IsValid(object? value) => value is not string text || !HasRefusedCharacter(text);

    // By code point, not by UTF-16 unit: format characters beyond U+FFFF (the tag characters U+E0001-U+E007F, say)
    // arrive as surrogate pairs. A lone surrogate is no character at all, and PostgreSQL could not store it.
    private bool HasRefusedCharacter(string text)
    {
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != OperationStatus.Done)
            {
                return true;
            }

            rest = rest[used..];
            if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
                && !(Multiline && rune.Value is '\t' or '\n' or '\r'))
            {
                return true;
            }
        }

        return false;
    }
}
