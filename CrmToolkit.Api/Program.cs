using CrmToolkit.Api.Features.Workspaces;
using CrmToolkit.Data;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddCrmData();
builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();

var api = app.MapGroup("/api");
api.MapWorkspacesApi();

app.Run();
