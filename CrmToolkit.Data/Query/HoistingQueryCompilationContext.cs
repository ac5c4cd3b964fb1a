using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Query;
using Npgsql.EntityFrameworkCore.PostgreSQL.Query.Internal;

namespace CrmToolkit.Data.Query;

// EF1001: Npgsql's query compilation context is provider-internal API (public, marked internal-use).
// EF9100: CreateQueryExecutorExpression is marked experimental (for precompiled queries); it is the first half of
// QueryCompilationContext.CreateQueryExecutor, which this context re-implements.
#pragma warning disable EF1001, EF9100

/// <summary>
/// Npgsql's query compilation context, with one change to the executor EF compiles for each query: the lambdas
/// nested in it that capture nothing (the row shaper, the command resolver) are compiled once, at query
/// compilation, and embedded as constants.
/// </summary>
/// <remarks>
/// EF compiles a query to a single <c>Func&lt;QueryContext, TResult&gt;</c> whose body builds the query's
/// enumerable and passes it the shaper as a nested lambda. System.Linq.Expressions emits a nested lambda as
/// <c>DynamicMethod.CreateDelegate</c> on every call of the outer one, so every execution of every query, compiled
/// queries included, paid for a delegate creation through reflection: measured with perf at about 15 µs of a
/// contacts page's 530 µs of API CPU. A lambda that captures no variable of the outer one behaves the same whether
/// it is created per call or once. Registered by <see cref="CrmDataExtensions.AddCrmData"/>.
/// </remarks>
internal sealed class HoistingQueryCompilationContextFactory(
    QueryCompilationContextDependencies dependencies,
    RelationalQueryCompilationContextDependencies relationalDependencies)
    : IQueryCompilationContextFactory
{
    // As NpgsqlQueryCompilationContextFactory.Create, with the context below.
    public QueryCompilationContext Create(bool async) =>
        new HoistingQueryCompilationContext(dependencies, relationalDependencies, async);
}

/// <summary>See <see cref="HoistingQueryCompilationContextFactory"/>.</summary>
internal sealed class HoistingQueryCompilationContext(
    QueryCompilationContextDependencies dependencies,
    RelationalQueryCompilationContextDependencies relationalDependencies,
    bool async)
    : NpgsqlQueryCompilationContext(dependencies, relationalDependencies, async)
{
    // As QueryCompilationContext.CreateQueryExecutor, plus ClosedLambdas.Hoist before compiling.
    public override Func<QueryContext, TResult> CreateQueryExecutor<TResult>(Expression query)
    {
        var executor = CreateQueryExecutorExpression<TResult>(query);
        var inlined = (Expression<Func<QueryContext, TResult>>)Dependencies.LiftableConstantProcessor.InlineConstants(
            executor, SupportsPrecompiledQuery);
        try
        {
            return ClosedLambdas.Hoist(inlined).Compile();
        }
        finally
        {
            Logger.QueryExecutionPlanned(Dependencies.Context, new ExpressionPrinter(), executor);
        }
    }
}

/// <summary>Compiles the nested lambdas of an expression tree that capture nothing, once, into constants.</summary>
internal static class ClosedLambdas
{
    public static Expression<T> Hoist<T>(Expression<T> lambda) =>
        lambda.Update(new Hoister().Visit(lambda.Body), lambda.Parameters);

    private sealed class Hoister : ExpressionVisitor
    {
        // Reached only for nested lambdas: Hoist visits the outer lambda's body, not the lambda.
        protected override Expression VisitLambda<T>(Expression<T> node)
        {
            var visited = (Expression<T>)base.VisitLambda(node);
            return CapturesVariables(visited) ? visited : Expression.Constant(visited.Compile(), typeof(T));
        }

        // An invoked lambda is inlined by the compiler (no delegate at all); a quoted one is data, not code.
        protected override Expression VisitInvocation(InvocationExpression node) =>
            node.Expression is LambdaExpression lambda
                ? node.Update(Expression.Lambda(lambda.Type, Visit(lambda.Body), lambda.Name, lambda.TailCall, lambda.Parameters), Visit(node.Arguments))
                : base.VisitInvocation(node);

        protected override Expression VisitUnary(UnaryExpression node) =>
            node.NodeType == ExpressionType.Quote ? node : base.VisitUnary(node);
    }

    private static bool CapturesVariables(LambdaExpression lambda)
    {
        var finder = new FreeVariableFinder();
        finder.Visit(lambda);
        return finder.Found;
    }

    // Parameter objects are unique, so one set of everything declared inside is enough (no scopes needed).
    private sealed class FreeVariableFinder : ExpressionVisitor
    {
        private readonly HashSet<ParameterExpression> _declared = [];

        public bool Found { get; private set; }

        public override Expression? Visit(Expression? node) => Found ? node : base.Visit(node);

        protected override Expression VisitLambda<T>(Expression<T> node)
        {
            _declared.UnionWith(node.Parameters);
            return base.VisitLambda(node);
        }

        protected override Expression VisitBlock(BlockExpression node)
        {
            _declared.UnionWith(node.Variables);
            return base.VisitBlock(node);
        }

        protected override CatchBlock VisitCatchBlock(CatchBlock node)
        {
            if (node.Variable is not null)
            {
                _declared.Add(node.Variable);
            }

            return base.VisitCatchBlock(node);
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Found |= !_declared.Contains(node);
            return node;
        }
    }
}
