using System.Text.Json;
using System.Text.Json.Serialization;
using CrmToolkit.Api.Features.Auth;
using CrmToolkit.Api.Features.Invitations;
using CrmToolkit.Api.Features.Me;
using CrmToolkit.Api.Features.Members;
using CrmToolkit.Api.Features.Workspaces;
using CrmToolkit.Api.Infrastructure;
using CrmToolkit.Api.Infrastructure.Auth;
using CrmToolkit.Api.Infrastructure.Mail;
using CrmToolkit.AspNetCore.Paging;
using CrmToolkit.Contacts;
using CrmToolkit.Data;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCrmData();
builder.AddContacts(); // feature packages: each adds its tables to the model, and maps its routes below
builder.AddCrmAuth();
builder.Services.AddCrmTelemetry();
builder.Services.AddCrmMail();
builder.Services.AddKeysetCursors();
builder.Services.AddOptions<InvitationOptions>().BindConfiguration(InvitationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddOptions<WorkspaceOptions>().BindConfiguration(WorkspaceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddCrmProblemDetails();
builder.Services.AddValidation();
builder.Services.AddCrmOpenApi();
builder.Services.ConfigureHttpJsonOptions(json =>
    json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false)));
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Limits.MaxRequestBodySize = 64 * 1024;
    // Any bytes in a bearer token reach the authentication handler, which answers a malformed token with a 401
    // problem; by default Kestrel refuses a header that is not valid UTF-8 with a bare 400 before the app sees it.
    kestrel.RequestHeaderEncodingSelector = header =>
        string.Equals(header, "Authorization", StringComparison.OrdinalIgnoreCase) ? System.Text.Encoding.Latin1 : null;
});

if (BuildTimeOpenApi.IsGenerating)
{
    builder.DescribeOnly(); // the build writes the OpenAPI document: no database, no mail, no background work
}

var app = builder.Build();
try
{
    // The settings validated at start, before anything resolves them: one line that names the bad value, rather
    // than the host's failure log with a stack trace.
    app.Services.GetRequiredService<IStartupValidator>().Validate();
}
catch (OptionsValidationException ex)
{
    Console.Error.WriteLine($"Invalid configuration: {ex.Message}");
    return 1;
}

_ = app.Services.GetRequiredService<Passwords>(); // its dummy hash, before the first unknown-email login

app.UseTrustedProxies(); // X-Forwarded-For from the proxies in ForwardedHeaders only
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseUtf8JsonBodies(); // 415 for a body in any other charset
// Before authentication: the auth routes' limit is per client address, and a request with a bad token on
// /api/auth/switch or /logout must count against it before it costs a session lookup.
app.UseRateLimiter();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference();
}

app.MapAccountPages(); // what the mailed links open, unless Mail:LinkBaseUrl names a web app

var api = app.MapGroup("/api").WithProblemResponses();
api.MapAuthApi().MapEmailProofApi();
var me = api.MapMeApi();
me.MapMyInvitationsApi();
var workspace = api.MapWorkspacesApi();
workspace.MapMembersApi();
workspace.MapInvitationsApi();
workspace.MapContacts();

app.Run();
return 0;
