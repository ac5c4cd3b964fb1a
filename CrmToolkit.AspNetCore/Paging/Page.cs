namespace CrmToolkit.AspNetCore.Paging;

/// <summary>
/// One page of a keyset-paged list: the items, and <c>next</c>, the opaque cursor to pass as <c>after</c> for the
/// following page (<c>null</c> on the last page). Made by <see cref="KeysetCursor.ToPage"/>.
/// </summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);
