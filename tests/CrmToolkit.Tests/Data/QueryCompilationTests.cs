using System.Linq.Expressions;
using CrmToolkit.Data;
using CrmToolkit.Data.Query;
using CrmToolkit.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmToolkit.Tests.Data;

/// <summary>The query executors EF compiles create their nested delegates once, not on every execution.</summary>
[Collection(AppCollection.Name)]
public sealed class QueryCompilationTests(AppFixture app)
{
    [Fact]
    public void ANestedLambdaThatCapturesNothingIsCompiledOnceAndReused()
    {
        Expression<Func<int, Func<int, int>>> executor = x => y => y + 1;

        var plain = executor.Compile();
        Assert.NotSame(plain(0), plain(0)); // what System.Linq.Expressions does: a new delegate per call

        var hoisted = ClosedLambdas.Hoist(executor).Compile();
        Assert.Same(hoisted(0), hoisted(1));
        Assert.Equal(4, hoisted(0)(3));
    }

    [Fact]
    public void ANestedLambdaThatCapturesAnOuterVariableStaysPerCall()
    {
        Expression<Func<int, Func<int, int>>> executor = x => y => y + x;

        var hoisted = ClosedLambdas.Hoist(executor).Compile();

        Assert.Equal(5, hoisted(2)(3));
        Assert.Equal(13, hoisted(10)(3));
    }

    [Fact]
    public void AQuotedLambdaStaysAnExpressionTree()
    {
        Expression<Func<int, Expression<Func<int, int>>>> executor = x => y => y * 2;

        var tree = ClosedLambdas.Hoist(executor).Compile()(0);

        Assert.Equal(ExpressionType.Multiply, tree.Body.NodeType);
    }

    [Fact]
    public async Task TheDataLayerCompilesQueriesWithHoistingAndTheyReturnTheirRows()
    {
        var email = $"hoist-{Guid.NewGuid():N}@example.com";
        var userId = await app.Database.InsertUserAsync(email);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration["ConnectionStrings:" + CrmDataExtensions.ConnectionName] = app.ConnectionString;
        builder.AddCrmData();
        using var host = builder.Build();
        await using var db = host.Services.GetRequiredService<IDbContextFactory<CrmDbContext>>().CreateDbContext();

        Assert.IsType<HoistingQueryCompilationContextFactory>(db.GetService<IQueryCompilationContextFactory>());
        for (var execution = 0; execution < 2; execution++)
        {
            var emails = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.Email).ToListAsync();
            Assert.Equal([email], emails);
        }
    }
}
