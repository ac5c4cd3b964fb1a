using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace CrmToolkit.Api.Infrastructure.Mail;

/// <summary>
/// The links mails carry: <c>Mail:LinkBaseUrl</c>, else the API's own first listening address (where
/// <see cref="Features.Auth.AccountPages"/> serves them). Never the request's Host header: a client could point a
/// victim's reset link at a server of its own.
/// </summary>
public sealed class MailLinks(IOptions<MailOptions> options, IServer server)
{
    public const string VerifyEmailPath = "verify-email";
    public const string ResetPasswordPath = "reset-password";

    public Uri VerifyEmail(string token) => Link(VerifyEmailPath, token);

    public Uri ResetPassword(string token) => Link(ResetPasswordPath, token);

    private Uri Link(string path, string token)
    {
        var root = Base().ToString().TrimEnd('/');
        return new Uri($"{root}/{path}?token={Uri.EscapeDataString(token)}");
    }

    private Uri Base()
    {
        if (options.Value.LinkBaseUrl is { } configured)
        {
            return configured;
        }

        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Mail:LinkBaseUrl is not set and the server has no address yet.");
        // A wildcard binding ("http://+:8080", "http://[::]:8080") names no host a browser can open.
        var builder = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (builder.Host is "0.0.0.0" or "[::]" or "::")
        {
            builder.Host = "localhost";
        }

        return builder.Uri;
    }
}
