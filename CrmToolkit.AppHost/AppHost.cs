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

var migrator = builder.AddProject<Projects.CrmToolkit_MigrationWorker>("migrator")
    .WithReference(crm.Database)
    .WaitForDatabase(crm);

builder.AddProject<Projects.CrmToolkit_Api>("api")
    .WithReference(crm.Database)
    .WaitForDatabase(crm)
    .WaitForCompletion(migrator)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
return 0;
