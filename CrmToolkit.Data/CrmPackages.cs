using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmToolkit.Data;

/// <summary>
/// The extension point for feature packages. A package is an assembly of entities and their
/// <see cref="IEntityTypeConfiguration{TEntity}"/>s; <see cref="AddCrmPackage"/> adds them to the one CRM model, where
/// every entity that implements <see cref="Entities.IWorkspaceScoped"/> gets the workspace key, foreign key, query
/// filter, write enforcement and row-level security marker, exactly as the core's own tables do.
/// </summary>
/// <remarks>
/// The migrations live in the host that applies them (the migration worker), which adds the same packages as the API:
/// a package's table comes to the database through a migration there.
/// </remarks>
public static class CrmPackages
{
    /// <summary>Adds the entity configurations of <paramref name="package"/> to the model of every <see cref="CrmDbContext"/> the app creates.</summary>
    public static IHostApplicationBuilder AddCrmPackage(this IHostApplicationBuilder builder, Assembly package)
    {
        builder.Services.ConfigureDbContext<CrmDbContext>(options => options.UseCrmPackage(package));
        return builder;
    }

    /// <summary>Adds the entity configurations of <paramref name="package"/> to the model of contexts built with these options.</summary>
    public static DbContextOptionsBuilder UseCrmPackage(this DbContextOptionsBuilder options, Assembly package)
    {
        var current = options.Options.FindExtension<Extension>()?.Packages ?? [];
        if (!current.Contains(package))
        {
            ((IDbContextOptionsBuilderInfrastructure)options).AddOrUpdateExtension(new Extension([.. current, package]));
        }

        return options;
    }

    /// <summary>The packages in <paramref name="options"/>, in the order they were added.</summary>
    internal static IReadOnlyList<Assembly> Of(DbContextOptions options) => options.FindExtension<Extension>()?.Packages ?? [];

    // EF Core's documented way to carry settings of one's own in the context options. Contexts with other packages
    // have another model, so EF keeps them apart (a service provider, and so a model cache, per set of packages).
    private sealed class Extension(IReadOnlyList<Assembly> packages) : IDbContextOptionsExtension
    {
        public IReadOnlyList<Assembly> Packages { get; } = packages;

        public DbContextOptionsExtensionInfo Info => new ExtensionInfo(this);

        public void ApplyServices(IServiceCollection services)
        {
        }

        public void Validate(IDbContextOptions options)
        {
        }

        private sealed class ExtensionInfo(Extension extension) : DbContextOptionsExtensionInfo(extension)
        {
            private IReadOnlyList<Assembly> Packages { get; } = extension.Packages;

            public override bool IsDatabaseProvider => false;

            public override string LogFragment => $"CrmPackages={string.Join(',', Packages.Select(p => p.GetName().Name))} ";

            public override int GetServiceProviderHashCode() =>
                Packages.Aggregate(0, (hash, package) => HashCode.Combine(hash, package.FullName));

            public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) =>
                other is ExtensionInfo info && info.Packages.SequenceEqual(Packages);

            public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) =>
                debugInfo["CrmPackages"] = string.Join(',', Packages.Select(p => p.FullName));
        }
    }
}
