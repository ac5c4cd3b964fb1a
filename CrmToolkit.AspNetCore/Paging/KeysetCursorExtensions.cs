using CrmToolkit.Data;
using Microsoft.AspNetCore.DataProtection;

namespace CrmToolkit.AspNetCore.Paging;

public static class KeysetCursorExtensions
{
    /// <summary>
    /// Registers <see cref="KeysetCursor"/> and the Data Protection key ring it protects cursors with, kept in the
    /// database's <c>data_protection_keys</c> (through the scoped <see cref="CrmDbContext"/> that <c>AddCrmData</c>
    /// leases from its pool) under one application name, so that a cursor one replica issued is read by every other.
    /// </summary>
    public static IServiceCollection AddKeysetCursors(this IServiceCollection services)
    {
        services.AddDataProtection()
            .SetApplicationName("CrmToolkit")
            .PersistKeysToDbContext<CrmDbContext>();
        services.AddSingleton<KeysetCursor>();
        return services;
    }
}
