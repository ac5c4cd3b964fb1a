using CrmToolkit.Data;
using Microsoft.EntityFrameworkCore.Design;

namespace CrmToolkit.MigrationWorker;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the model with no database and no host running: the model of
/// <see cref="CrmModel.Options"/>, the core's tables and those of the packages this host adds.
/// Commands that do talk to a database (<c>database update</c>, <c>migrations script --idempotent</c>
/// doesn't) read <c>ConnectionStrings__crm</c>.
/// </summary>
internal sealed class CrmDbContextFactory : IDesignTimeDbContextFactory<CrmDbContext>
{
    public CrmDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__crm") ?? "Host=localhost;Database=crm";
        return new CrmDbContext(CrmModel.Options(connectionString).Options);
    }
}
