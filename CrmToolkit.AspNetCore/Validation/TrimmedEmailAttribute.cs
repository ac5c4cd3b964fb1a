using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.AspNetCore.Validation;

/// <summary>An email address as the API stores it, trimmed: one @ with something on both sides, no line breaks.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class TrimmedEmailAttribute() : ValidationAttribute("The {0} field is not a valid e-mail address.")
{
    private static readonly EmailAddressAttribute Email = new();

    public override bool IsValid(object? value) => value is not string text || Email.IsValid(text.Trim());
}
