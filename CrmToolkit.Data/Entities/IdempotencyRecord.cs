namespace CrmToolkit.Data.Entities;

/// <summary>
/// A create that carried an <c>Idempotency-Key</c>: the response it answered, kept for 24 hours so that the same user
/// repeating the same key on the same route gets it again instead of a second create. Written in the transaction of the
/// create itself, so a create that committed always has its record.
/// </summary>
public sealed class IdempotencyRecord : IWorkspaceScoped
{
    public WorkspaceId WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public Guid UserId { get; set; }

    /// <summary>The client's key: 1 to 255 visible ASCII characters.</summary>
    public required string Key { get; set; }

    /// <summary>The route's method and pattern, e.g. <c>POST /api/workspaces/{workspaceId}/contacts</c>.</summary>
    public required string Route { get; set; }

    /// <summary>SHA-256 (hex) of the request body: the same key with another body is a client error.</summary>
    public required string RequestHash { get; set; }

    public int StatusCode { get; set; }
    public string? ResponseBody { get; set; }
    public string? Location { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
