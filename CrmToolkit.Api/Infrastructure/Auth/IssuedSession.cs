namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>A new session's bearer token (shown once) and its expiry.</summary>
public sealed record IssuedSession(string Token, DateTimeOffset ExpiresAt);
