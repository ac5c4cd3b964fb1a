using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.AspNetCore.Validation;

/// <summary>An email address (checked trimmed, as it is stored), or empty (which clears it in a PATCH).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class EmailOrEmptyAttribute() : ValidationAttribute("The {0} field is not a valid e-mail address.")
{
    private static readonly TrimmedEmailAttribute Email = new();

    public override bool IsValid(object? value) => value is not string { Length: > 0 } || Email.IsValid(value);
}
