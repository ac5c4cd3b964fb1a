using System.Reflection;
using CrmToolkit.Contacts;
using CrmToolkit.Data;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.MigrationWorker;

/// <summary>
/// The model this host migrates the database to: the core's tables, the feature packages' (<see cref="Packages"/>, the
/// packages the API adds in its Program.cs), and the migrations of this assembly.
/// </summary>
public static class CrmModel
{
    /// <summary>The feature packages whose tables the migrations create.</summary>
    public static readonly IReadOnlyList<Assembly> Packages = [typeof(ContactsPackage).Assembly];

    /// <summary><c>AddCrmData</c> with the packages, migrating from this assembly.</summary>
    public static IHostApplicationBuilder AddCrmModel(this IHostApplicationBuilder builder)
    {
        builder.AddCrmData();
        foreach (var package in Packages)
        {
            builder.AddCrmPackage(package);
        }

        builder.Services.ConfigureDbContext<CrmDbContext>(options => options.UseNpgsql(npgsql => npgsql.MigrationsAssembly(typeof(CrmModel).Assembly)));
        return builder;
    }

    /// <summary>Options for a context outside a host (the design-time tools, tests): the same model and migrations.</summary>
    public static DbContextOptionsBuilder<CrmDbContext> Options(string connectionString)
    {
        var options = new DbContextOptionsBuilder<CrmDbContext>()
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(typeof(CrmModel).Assembly));
        foreach (var package in Packages)
        {
            options.UseCrmPackage(package);
        }

        return options;
    }
}
