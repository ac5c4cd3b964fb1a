using System.ComponentModel.DataAnnotations;
using System.Linq.Expressions;
using CrmToolkit.AspNetCore.Validation;

namespace CrmToolkit.Contacts;

public sealed record ContactResponse(
    Guid Id,
    string FirstName,
    string? LastName,
    string? Email,
    string? Phone,
    string? Company,
    string? Notes,
    Guid? CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>
    /// The response of a contact, as an expression: a list query selects it, so EF Core reads these ten columns
    /// straight into responses (no entity to materialize and copy, no workspace id to read and convert).
    /// </summary>
    public static readonly Expression<Func<Contact, ContactResponse>> Projection = c =>
        new ContactResponse(c.Id, c.FirstName, c.LastName, c.Email, c.Phone, c.Company, c.Notes, c.CreatedBy, c.CreatedAt, c.UpdatedAt);

    private static readonly Func<Contact, ContactResponse> FromContact = Projection.Compile();

    public static ContactResponse From(Contact c) => FromContact(c);
}

public sealed record CreateContactRequest(
    [Required, NotBlank, PlainText, StringLength(100, MinimumLength = 1)] string FirstName,
    [PlainText, MaxLength(100)] string? LastName,
    [EmailAddress, TrimmedEmail, PlainText, MaxLength(255)] string? Email,
    [PlainText, MaxLength(50)] string? Phone,
    [PlainText, MaxLength(255)] string? Company,
    [PlainText(Multiline = true), MaxLength(10_000)] string? Notes);

/// <summary>A field left out (or null) stays as it is; an empty string clears an optional field.</summary>
public sealed record UpdateContactRequest(
    [NotBlank, PlainText, StringLength(100, MinimumLength = 1)] string? FirstName,
    [PlainText, MaxLength(100)] string? LastName,
    [EmailOrEmpty, PlainText, MaxLength(255)] string? Email,
    [PlainText, MaxLength(50)] string? Phone,
    [PlainText, MaxLength(255)] string? Company,
    [PlainText(Multiline = true), MaxLength(10_000)] string? Notes);
