using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.AspNetCore.Validation;

/// <summary>A string that, when given, is not empty or only white space (the API trims what it stores).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class NotBlankAttribute() : ValidationAttribute("The {0} field must not be blank.")
{
    public override bool IsValid(object? value) => value is not string text || !string.IsNullOrWhiteSpace(text);
}
