using CrmToolkit.Api.Infrastructure.Auth;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrmToolkit.Api.Infrastructure;

/// <summary>
/// Maps the exceptions that mean a client mistake to a 4xx ProblemDetails: a body that cannot be read
/// (malformed JSON, too large) keeps its status, a unique violation is a 409, a database that cannot serve
/// the request in time is a 503 with <c>Retry-After</c>. The response names the rule that was broken, never
/// the SQL or the constraint's internals. Everything else stays a plain 500.
/// </summary>
public sealed partial class ExpectedExceptionHandler(IProblemDetailsService problemDetails, ILogger<ExpectedExceptionHandler> logger)
    : IExceptionHandler
{
    private static readonly Dictionary<string, string> ConflictMessages = new(StringComparer.Ordinal)
    {
        ["users_email_unique"] = "An account with this email already exists.",
        ["workspaces_pkey"] = "A workspace with this id already exists.",
        ["workspace_members_workspace_id_user_id_unique"] = "This user is already a member of the workspace.",
        ["invitations_pending_email_unique"] = "An invitation to this email is being sent at this moment.",
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails? problem = exception switch
        {
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Content Too Large" : "Bad Request",
                Detail = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? "The request body is larger than 64 KB."
                    : "The request could not be read: check that the body is valid JSON of the expected shape.",
            },
            DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } postgres } => Conflict(postgres),
            // The row was deleted between our read and our write.
            DbUpdateConcurrencyException => new ProblemDetails { Status = StatusCodes.Status404NotFound, Title = "Not Found" },
            // A value that fits its limit as sent, but not once normalized (rare): a client's mistake, not a bug.
            DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.StringDataRightTruncation } } => new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Bad Request",
                Detail = "A value is too long.",
            },
            PasswordHashingBusyException => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service Unavailable",
                Detail = exception.Message,
            },
            _ when IsDatabaseUnavailable(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service Unavailable",
                Detail = "The database is busy or unreachable. Try again shortly.",
            },
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }

        httpContext.Response.StatusCode = problem.Status ?? StatusCodes.Status400BadRequest;
        if (exception is PasswordHashingBusyException)
        {
            // A login storm: the refusals are the protection working (as the rate limiter's 429s, not logged one by one).
            LogHashingBusy();
            httpContext.Response.Headers.RetryAfter = "1";
        }
        else if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            // An operator wants to see these; the innermost exception says why (refused, timeout...), in one line.
            var cause = exception.GetBaseException();

            LogDatabaseUnavailable(exception.GetType().Name, cause.GetType().Name, cause.Message);
            httpContext.Response.Headers.RetryAfter = "1";
        }
        else
        {
            LogClientError(problem.Status ?? 400, exception.GetType().Name);
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    /// <summary>
    /// The database could not serve the request in time, or at all, even after the execution strategy's
    /// retries: no connection free in the pool, a statement timeout, a lost or refused connection.
    /// </summary>
    private static bool IsDatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException
                or NpgsqlException { IsTransient: true }
                or PostgresException { SqlState: PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown })
            {
                return true;
            }
        }

        return false;
    }

    private ProblemDetails Conflict(PostgresException postgres)
    {
        LogConflict(postgres.ConstraintName);
        return new ProblemDetails
        {
            Status = StatusCodes.Status409Conflict,
            Title = "Conflict",
            Detail = postgres.ConstraintName is { } name && ConflictMessages.TryGetValue(name, out var message)
                ? message
                : "The request conflicts with existing data.",
        };
    }

    [LoggerMessage(LogLevel.Debug, "Unique violation on {Constraint}")]
    private partial void LogConflict(string? constraint);

    [LoggerMessage(LogLevel.Debug, "Every password-hashing slot and its queue were taken, answered 503")]
    private partial void LogHashingBusy();

    [LoggerMessage(LogLevel.Warning, "The database could not serve a request ({ExceptionType}), answered 503: {CauseType}: {Cause}")]
    private partial void LogDatabaseUnavailable(string exceptionType, string causeType, string cause);

    [LoggerMessage(LogLevel.Information, "{ExceptionType} mapped to {Status}")]
    private partial void LogClientError(int status, string exceptionType);
}
