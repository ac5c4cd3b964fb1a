using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Infrastructure;

/// <summary>A string that, when given, is not empty or only white space (the API trims what it stores).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class NotBlankAttribute() : ValidationAttribute("The {0} field must not be blank.")
{
    public override bool IsValid(object? value) => value is not string text || !string.IsNullOrWhiteSpace(text);
}

/// <summary>An email address, or empty (which clears it in a PATCH).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class EmailOrEmptyAttribute() : ValidationAttribute("The {0} field is not a valid e-mail address.")
{
    private static readonly EmailAddressAttribute Email = new();

    public override bool IsValid(object? value) => value is not string { Length: > 0 } text || Email.IsValid(text);
}
