using CrmToolkit.AppHost.Postgres;

var builder = DistributedApplication.CreateBuilder(args);

CrmDatabase crm;
try
{
    crm = builder.AddCrmDatabase();
}
catch (PostgresUnavailableException ex)
{
    // Nothing can run without a database: say what to install, in one message, and stop.
    Console.Error.WriteLine(ex.Message);
    return 1;
}

// The worker connects as the owner: it migrates and provisions the application role.
var migrator = builder.AddProject<Projects.CrmToolkit_MigrationWorker>("migrator")
    .WithOwnerConnection(crm);

// The API connects as that role, which owns nothing and is subject to row-level security.
builder.AddProject<Projects.CrmToolkit_Api>("api")
    .WithAppConnection(crm)
    .WaitForCompletion(migrator)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
return 0;
