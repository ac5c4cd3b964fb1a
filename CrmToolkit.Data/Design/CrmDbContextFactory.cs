using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CrmToolkit.Data.Design;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the model with no database and no host running.
/// Commands that do talk to a database (<c>database update</c>, <c>migrations script --idempotent</c>
/// doesn't) read <c>ConnectionStrings__crm</c>.
/// </summary>
internal sealed class CrmDbContextFactory : IDesignTimeDbContextFactory<CrmDbContext>
{
    public CrmDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__crm") ?? "Host=localhost;Database=crm";
        var options = new DbContextOptionsBuilder<CrmDbContext>()
            .UseNpgsql(connectionString)
            .Options;
        return new CrmDbContext(options);
    }
}
