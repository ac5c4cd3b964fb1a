namespace CrmToolkit.Api.Infrastructure.Auth;

/// <summary>
/// Every password-hashing slot and its queue are taken (<see cref="PasswordHashingOptions"/>): a 503 with
/// <c>Retry-After</c>, never a wait that a flood could make endless.
/// </summary>
public sealed class PasswordHashingBusyException()
    : Exception("Too many password checks at once; try again shortly.");
