using Microsoft.Extensions.Configuration;
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

// The API connects as that role, which owns nothing and is subject to row-level security. It keeps no
// per-instance state that matters (sessions, failed logins and the purge lock live in PostgreSQL), so it
// runs as several replicas behind the orchestrator's proxy with Api:Replicas=N.
var api = builder.AddProject<Projects.CrmToolkit_Api>("api")
    .WithAppConnection(crm)
    .WaitForCompletion(migrator)
    .WithHttpHealthCheck("/health")
    .WithReplicas(builder.Configuration.GetValue("Api:Replicas", 1));

// Development only: "Reset database" (drop, migrate again) and "Reset database and seed demo data" on crm.
builder.AddDatabaseResetCommands(crm, migrator, api);

builder.Build().Run();
return 0;
