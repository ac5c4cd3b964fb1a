using System.ComponentModel.DataAnnotations;
using CrmToolkit.AspNetCore.Authorization;
using CrmToolkit.AspNetCore.Idempotency;
using CrmToolkit.AspNetCore.Paging;
using CrmToolkit.AspNetCore.Validation;
using CrmToolkit.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.Contacts;

/// <summary>
/// The contacts routes. Nothing here mentions the workspace beyond the route: the group's policy checks the session is
/// for it, the context's query filter and write enforcement keep every query in the session's workspace, and
/// PostgreSQL's row-level security would refuse anything else.
/// </summary>
internal static class ContactsApi
{
    public static RouteGroupBuilder Map(RouteGroupBuilder workspace)
    {
        var group = workspace.MapGroup("/contacts").WithTags("Contacts");

        group.MapGet("/", ListContacts);
        group.MapPost("/", CreateContact).WithIdempotency();
        group.MapGet("/{contactId:guid}", GetContact).WithName("GetContact");
        group.MapPatch("/{contactId:guid}", UpdateContact);
        group.MapDelete("/{contactId:guid}", DeleteContact).RequireAuthorization(WorkspacePolicies.Admin);

        return group;
    }

    /// <summary>
    /// Keyset pages ordered by last name (missing last names last), first name, id: one ordered range of
    /// contacts_workspace_name_idx. <c>q</c> matches the start of first name, last name, email or company.
    /// </summary>
    private static async Task<Results<Ok<Page<ContactResponse>>, ValidationProblem>> ListContacts(
        CrmDbContext db, CurrentSession caller, KeysetCursor cursors, CancellationToken cancellationToken,
        [MaxLength(100), PlainText] string? q = null, [Range(1, KeysetCursor.MaxPageSize)] int? limit = null, string? after = null)
    {
        var workspace = caller.WorkspaceId.Value;
        Cursor? cursor = null;
        // One list with or without q: a page resumes after the same sort key.
        if (after is not null && !cursors.TryDecode("contacts", workspace, after, out cursor, c => c.FirstName is not null))
        {
            return KeysetCursor.Invalid();
        }

        var size = limit ?? KeysetCursor.DefaultPageSize;
        var rows = cursor is null && string.IsNullOrWhiteSpace(q)
            ? await FirstPage(db, size + 1).ToListAsync(cancellationToken)
            : await PageQuery(db, q, cursor, size).ToListAsync(cancellationToken);
        return TypedResults.Ok(cursors.ToPage(rows, size, "contacts", workspace, Cursor.From));
    }

    // The typical request, the first page with no search, as a compiled query: no expression tree to build,
    // hash and look up per request. Same SQL as PageQuery with no q and no cursor.
    private static readonly Func<CrmDbContext, int, IAsyncEnumerable<ContactResponse>> FirstPage = EF.CompileAsyncQuery(
        (CrmDbContext db, int take) => db.Set<Contact>()
            .OrderBy(c => c.LastName).ThenBy(c => c.FirstName).ThenBy(c => c.Id).Take(take)
            .Select(ContactResponse.Projection));

    /// <summary>One page (plus one row, to know whether there is a next page) of the current workspace's contacts.</summary>
    internal static IQueryable<ContactResponse> PageQuery(CrmDbContext db, string? q, Cursor? cursor, int size)
    {
        IQueryable<Contact> query = db.Set<Contact>();
        if (!string.IsNullOrWhiteSpace(q))
        {
            var prefix = q.Trim().ToLowerInvariant();
            query = query.Where(c =>
                c.FirstName.ToLower().StartsWith(prefix)
                || (c.LastName != null && c.LastName.ToLower().StartsWith(prefix))
                || (c.Email != null && c.Email.ToLower().StartsWith(prefix))
                || (c.Company != null && c.Company.ToLower().StartsWith(prefix)));
        }

        if (cursor is { LastName: { } lastName })
        {
            query = query.Where(c => c.LastName == null
                || EF.Functions.GreaterThan(ValueTuple.Create(c.LastName, c.FirstName, c.Id), ValueTuple.Create(lastName, cursor.FirstName, cursor.Id)));
        }
        else if (cursor is not null)
        {
            query = query.Where(c => c.LastName == null
                && EF.Functions.GreaterThan(ValueTuple.Create(c.FirstName, c.Id), ValueTuple.Create(cursor.FirstName, cursor.Id)));
        }

        return query.OrderBy(c => c.LastName).ThenBy(c => c.FirstName).ThenBy(c => c.Id).Take(size + 1)
            .Select(ContactResponse.Projection);
    }

    private static async Task<CreatedAtRoute<ContactResponse>> CreateContact(
        CreateContactRequest request, CurrentSession caller, CrmDbContext db, CancellationToken cancellationToken)
    {
        var contact = new Contact
        {
            FirstName = TextInput.Clean(request.FirstName),
            LastName = TextInput.CleanOptional(request.LastName),
            Email = TextInput.CleanOptional(request.Email),
            Phone = TextInput.CleanOptional(request.Phone),
            Company = TextInput.CleanOptional(request.Company),
            Notes = TextInput.Multiline(request.Notes),
            CreatedBy = caller.UserId,
        };
        db.Set<Contact>().Add(contact); // the workspace id is stamped by the context
        await db.SaveChangesAsync(cancellationToken);

        return TypedResults.CreatedAtRoute(ContactResponse.From(contact), "GetContact",
            new { workspaceId = contact.WorkspaceId.Value, contactId = contact.Id });
    }

    private static async Task<Results<Ok<ContactResponse>, NotFound>> GetContact(
        Guid contactId, CrmDbContext db, CancellationToken cancellationToken)
    {
        var contact = await db.Set<Contact>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == contactId, cancellationToken);
        return contact is null ? TypedResults.NotFound() : TypedResults.Ok(ContactResponse.From(contact));
    }

    private static async Task<Results<Ok<ContactResponse>, NotFound>> UpdateContact(
        Guid contactId, UpdateContactRequest request, CrmDbContext db, CancellationToken cancellationToken)
    {
        var contact = await db.Set<Contact>().SingleOrDefaultAsync(c => c.Id == contactId, cancellationToken);
        if (contact is null)
        {
            return TypedResults.NotFound();
        }

        if (request.FirstName is not null)
        {
            contact.FirstName = TextInput.Clean(request.FirstName);
        }

        contact.LastName = Patch(contact.LastName, request.LastName);
        contact.Email = Patch(contact.Email, request.Email);
        contact.Phone = Patch(contact.Phone, request.Phone);
        contact.Company = Patch(contact.Company, request.Company);
        contact.Notes = request.Notes is null ? contact.Notes : TextInput.Multiline(request.Notes);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(ContactResponse.From(contact));
    }

    private static async Task<Results<NoContent, NotFound>> DeleteContact(
        Guid contactId, CrmDbContext db, CancellationToken cancellationToken) =>
        await db.Set<Contact>().Where(c => c.Id == contactId).ExecuteDeleteAsync(cancellationToken) == 0
            ? TypedResults.NotFound()
            : TypedResults.NoContent();

    // null: leave as it is; "": clear; anything else: set.
    private static string? Patch(string? current, string? requested) => requested is null ? current : TextInput.CleanOptional(requested);

    /// <summary>Where a page ended: the sort key of its last contact.</summary>
    internal sealed record Cursor(string? LastName, string FirstName, Guid Id)
    {
        public static Cursor From(ContactResponse c) => new(c.LastName, c.FirstName, c.Id);
    }
}
