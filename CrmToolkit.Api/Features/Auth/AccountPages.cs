using System.Reflection;
using CrmToolkit.Api.Infrastructure.Mail;

namespace CrmToolkit.Api.Features.Auth;

/// <summary>
/// The two pages the mailed links open by default (<see cref="MailLinks"/>): <c>/verify-email</c> (one click confirms) and
/// <c>/reset-password</c> (a form for the new password). Plain HTML and a small script, embedded in the assembly, that
/// call the same API routes a web app would; a product with its own web app sets <c>Mail:LinkBaseUrl</c> instead.
/// </summary>
public static class AccountPages
{
    // The token sits in the page's URL: no referrer may carry it elsewhere, no cache keep it, and the page runs only
    // its own script.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapAccountPages(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("").ExcludeFromDescription().AllowAnonymous();
        Map(group, "/" + MailLinks.VerifyEmailPath, "verify-email.html", "text/html; charset=utf-8");
        Map(group, "/" + MailLinks.ResetPasswordPath, "reset-password.html", "text/html; charset=utf-8");
        Map(group, "/account/account.js", "account.js", "text/javascript; charset=utf-8");
        Map(group, "/account/account.css", "account.css", "text/css; charset=utf-8");
        return routes;
    }

    private static void Map(RouteGroupBuilder group, string path, string resource, string contentType)
    {
        var content = Read(resource);
        group.MapGet(path, (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            headers.XContentTypeOptions = "nosniff";
            return TypedResults.Bytes(content, contentType);
        });
    }

    private static byte[] Read(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"CrmToolkit.Api.Features.Auth.Pages.{resource}")
            ?? throw new InvalidOperationException($"The page '{resource}' is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
