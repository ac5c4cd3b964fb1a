using CrmToolkit.Api.Infrastructure;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Api.Infrastructure.Mail;
using CrmToolkit.AspNetCore.Validation;
using CrmToolkit.Data;
using CrmToolkit.Data.Entities;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Features.Auth;

/// <summary>
/// Proof of email: an address counts once its owner opened a link mailed to it (verification, or a password reset).
/// Tokens are single-use and stored only as hashes; an unknown, used, expired or malformed token gets one answer.
/// Every mail goes through the outbox, in the transaction of the change that causes it.
/// </summary>
public static class EmailProofApi
{
    /// <summary>Adds <c>/verify-email</c>, <c>/verify-email/resend</c>, <c>/password-reset</c> and <c>/password-reset/confirm</c> to the auth group.</summary>
    public static RouteGroupBuilder MapEmailProofApi(this RouteGroupBuilder auth)
    {
        auth.MapPost("/verify-email", VerifyEmail).AllowAnonymous();
        auth.MapPost("/verify-email/resend", ResendVerification).RequireAuthorization();
        auth.MapPost("/password-reset", RequestPasswordReset).AllowAnonymous();
        auth.MapPost("/password-reset/confirm", ConfirmPasswordReset).AllowAnonymous();
        return auth;
    }

    /// <summary>Registration's verification token and mail, added to the registering context (saved with the account).</summary>
    public static void AddVerificationMail(CrmDbContext db, User user, MailLinks links, EmailProofOptions options, DateTimeOffset now)
    {
        var (token, row) = EmailTokens.New(user.Id, user.Email, EmailTokenPurpose.VerifyEmail, now, options.VerificationTokenLifetime);
        db.EmailTokens.Add(row);
        db.MailOutbox.Add(Mails.VerifyEmail(user.Email, user.Name, links.VerifyEmail(token), options.VerificationTokenLifetime));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> VerifyEmail(
        VerifyEmailRequest request, IDbContextFactory<CrmDbContext> pool, CancellationToken cancellationToken)
    {
        if (!EmailTokens.TryHash(request.Token, out var hash))
        {
            return InvalidToken();
        }

        await using var db = await pool.CreateDbContextAsync(cancellationToken);
        return await CrossWorkspace.VerifyEmailAsync(db, hash, cancellationToken) is null ? InvalidToken() : TypedResults.NoContent();
    }

    /// <summary>A new link for the signed-in user's address; nothing when it is verified already. Under the user row's lock, so the allowance holds for parallel requests.</summary>
    private static async Task<Results<Accepted, ProblemHttpResult>> ResendVerification(
        CurrentSession caller,
        CrmDbContext db,
        HttpContext httpContext,
        MailLinks links,
        IOptions<EmailProofOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (caller.Session.EmailVerified)
        {
            return TypedResults.Accepted((string?)null);
        }

        var userId = caller.UserId;
        var settings = options.Value;
        return await ResilientTransaction.New(db).ExecuteAsync(async ct =>
        {
            await db.LockUserAsync(ct);

            var now = time.GetUtcNow();
            var hourAgo = now - TimeSpan.FromHours(1);
            // The registration's own mail plus the resends: one more than the allowance of resends.
            var allowance = settings.ResendsPerHour + 1;
            var lastHour = await db.EmailTokens
                .Where(t => t.UserId == userId && t.Purpose == EmailTokenPurpose.VerifyEmail && t.CreatedAt > hourAgo)
                .OrderByDescending(t => t.CreatedAt).Select(t => t.CreatedAt).Take(allowance).ToListAsync(ct);
            if (AuthRateLimiting.HourlyAllowanceWait(lastHour, allowance, now) is { } wait)
            {
                return (Results<Accepted, ProblemHttpResult>)AuthRateLimiting.TooManyRequests(httpContext, wait);
            }

            var email = caller.Session.Email;
            var (token, row) = EmailTokens.New(userId, email, EmailTokenPurpose.VerifyEmail, now, settings.VerificationTokenLifetime);
            db.EmailTokens.Add(row);
            db.MailOutbox.Add(Mails.VerifyEmail(email, caller.Session.Name, links.VerifyEmail(token), settings.VerificationTokenLifetime));
            await db.SaveChangesAsync(ct);
            return TypedResults.Accepted((string?)null);
        }, cancellationToken);
    }

    /// <summary>
    /// 202 whether or not an account has the email; when one has, a reset link is mailed. Requests count per email and
    /// per client address (in the database, so across instances, and for unknown emails too, else a 429 would tell
    /// which addresses have accounts); each count is taken under an advisory lock on its key, so parallel requests
    /// cannot slip past it.
    /// </summary>
    private static async Task<Results<Accepted, ProblemHttpResult>> RequestPasswordReset(
        ForgotPasswordRequest request,
        HttpContext httpContext,
        IDbContextFactory<CrmDbContext> pool,
        MailLinks links,
        IOptions<EmailProofOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var email = TextInput.Clean(request.Email);
        var address = httpContext.ClientAddress();
        var settings = options.Value;
        await using var db = await pool.CreateDbContextAsync(cancellationToken);
        return await ResilientTransaction.New(db).ExecuteAsync(async ct =>
        {
            var key = await db.Database.SqlQuery<string>($"SELECT crm_login_failure_key({email}) AS \"Value\"").SingleAsync(ct);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended('reset-email:' || {key}, 0))", ct);
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended('reset-address:' || {address}, 0))", ct);

            var now = time.GetUtcNow();
            var hourAgo = now - TimeSpan.FromHours(1);
            var byEmail = await LastHourAsync(db.PasswordResetRequests.Where(r => r.EmailKey == key && r.RequestedAt > hourAgo), settings.ResetsPerEmailPerHour, ct);
            var byAddress = await LastHourAsync(db.PasswordResetRequests.Where(r => r.ClientAddress == address && r.RequestedAt > hourAgo), settings.ResetsPerAddressPerHour, ct);
            TimeSpan?[] waits =
            [
                AuthRateLimiting.HourlyAllowanceWait(byEmail, settings.ResetsPerEmailPerHour, now),
                AuthRateLimiting.HourlyAllowanceWait(byAddress, settings.ResetsPerAddressPerHour, now),
            ];
            if (waits.Max() is { } wait)
            {
                return (Results<Accepted, ProblemHttpResult>)AuthRateLimiting.TooManyRequests(httpContext, wait);
            }

            db.PasswordResetRequests.Add(new PasswordResetRequest { EmailKey = key, ClientAddress = address, RequestedAt = now });
            if (await CrossWorkspace.FindLoginUserAsync(db, email, ct) is { } account)
            {
                var (token, row) = EmailTokens.New(account.UserId, account.Email, EmailTokenPurpose.PasswordReset, now, settings.ResetTokenLifetime);
                db.EmailTokens.Add(row);
                db.MailOutbox.Add(Mails.ResetPassword(account.Email, account.Name, links.ResetPassword(token), settings.ResetTokenLifetime));
            }

            await db.SaveChangesAsync(ct);
            return TypedResults.Accepted((string?)null);
        }, cancellationToken);
    }

    /// <summary>The new password, every session ended, the address proven: one statement, once the new hash is ready.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> ConfirmPasswordReset(
        ConfirmPasswordResetRequest request,
        IDbContextFactory<CrmDbContext> pool,
        HttpContext httpContext,
        Passwords passwords,
        CancellationToken cancellationToken)
    {
        if (!EmailTokens.TryHash(request.Token, out var hash))
        {
            return InvalidToken();
        }

        var client = httpContext.ClientAddress();
        passwords.ThrowIfBusy(client);
        var passwordHash = await passwords.HashAsync(request.Password, client, cancellationToken);
        await using var db = await pool.CreateDbContextAsync(cancellationToken);
        return await CrossWorkspace.ResetPasswordAsync(db, hash, passwordHash, cancellationToken) is null
            ? InvalidToken()
            : TypedResults.NoContent();
    }

    private static Task<List<DateTimeOffset>> LastHourAsync(IQueryable<PasswordResetRequest> requests, int allowance, CancellationToken cancellationToken) =>
        requests.OrderByDescending(r => r.RequestedAt).Select(r => r.RequestedAt).Take(allowance).ToListAsync(cancellationToken);

    // Unknown, used, expired and malformed alike: the answer tells nothing about which tokens exist.
    private static ProblemHttpResult InvalidToken() => TypedResults.Problem(
        title: "Invalid or expired link",
        detail: "This link is unknown, was used already or has expired. Ask for a new one.",
        statusCode: StatusCodes.Status400BadRequest);
}
