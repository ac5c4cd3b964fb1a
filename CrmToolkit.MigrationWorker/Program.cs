using CrmToolkit.Data;
using CrmToolkit.MigrationWorker;
using Microsoft.Extensions.Options;
using Npgsql;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddCrmData();
builder.Services.AddOptions<ApplicationRoleOptions>()
    .BindConfiguration(ApplicationRoleOptions.Section)
    .Configure<IConfiguration>((role, configuration) =>
    {
        if (configuration.GetConnectionString(ApplicationRoleOptions.AppConnectionName) is { Length: > 0 } app)
        {
            var login = new NpgsqlConnectionStringBuilder(app);
            role.Name = login.Username ?? role.Name;
            role.Password = login.Password;
        }
    })
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddOptions<MigrationOptions>().BindConfiguration(MigrationOptions.Section);
builder.Services.AddHostedService<MigrationWorker>();

try
{
    builder.Build().Run();
    return Environment.ExitCode;
}
catch (OptionsValidationException ex)
{
    // A setting is wrong (validated at start): one line that names it, as for every other failure of the worker.
    Console.Error.WriteLine($"Database migration failed: {ex.Message}");
    return 1;
}
