using CrmToolkit.Data;
using CrmToolkit.MigrationWorker;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddCrmData();
builder.Services.AddOptions<ApplicationRoleSettings>().BindConfiguration(ApplicationRoleSettings.Section);
builder.Services.AddHostedService<MigrationWorker>();

builder.Build().Run();
