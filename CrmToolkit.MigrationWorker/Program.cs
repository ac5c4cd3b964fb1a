using CrmToolkit.MigrationWorker;
using Microsoft.Extensions.Options;
using Npgsql;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddCrmModel(); // the data layer, the packages and the migrations
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

var host = builder.Build();
try
{
    // The settings validated at start, before anything resolves them: one line that names the bad value, as for
    // every other failure of the worker, rather than the host's failure log with a stack trace.
    host.Services.GetRequiredService<IStartupValidator>().Validate();
}
catch (OptionsValidationException ex)
{
    Console.Error.WriteLine($"Database migration failed: {ex.Message}");
    return 1;
}

host.Run();
return Environment.ExitCode;
