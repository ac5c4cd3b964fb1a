using CrmToolkit.AppHost.Mail;
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

var replicasSetting = builder.Configuration["Api:Replicas"];
var replicas = 1;
if (!string.IsNullOrWhiteSpace(replicasSetting) && !(int.TryParse(replicasSetting, out replicas) && replicas >= 1))
{
    Console.Error.WriteLine($"Api:Replicas '{replicasSetting}' is not a whole number of at least 1.");
    return 1;
}

// The SMTP server the API sends through: in development smtp4dev catches every mail (http://localhost:5481).
var mail = builder.AddMailCatcher();

// The worker connects as the owner: it migrates and provisions the application role.
var migrator = builder.AddProject<Projects.CrmToolkit_MigrationWorker>("migrator")
    .WithOwnerConnection(crm);

// The API connects as that role, which owns nothing and is subject to row-level security. It keeps no
// per-instance state that matters (sessions, failed logins and the purge lock live in PostgreSQL), so it
// runs as several replicas behind the orchestrator's proxy with Api:Replicas=N. One replica listens on its port
// itself: its per-address limits and fair password hashing then see each client's own address, not the proxy's.
var api = builder.AddProject<Projects.CrmToolkit_Api>("api")
    .WithAppConnection(crm)
    .WaitForCompletion(migrator)
    .WithReference(mail)
    .WaitFor(mail)
    .WithHttpHealthCheck("/health")
    .WithReplicas(replicas)
    .WithExternalHttpEndpoints()
    // Published, Aspire would switch on ASP.NET Core's forwarded headers for every proxy; the API trusts only those
    // in its ForwardedHeaders settings (below).
    .DisableForwardedHeaders();
if (replicas == 1 && !builder.ExecutionContext.IsPublishMode)
{
    api.WithEndpoint("http", endpoint =>
    {
        endpoint.IsProxied = false;
        endpoint.TargetPort = endpoint.Port;
    });
}

// The links in the API's mails lead back to the API: its own endpoint here; published, its Container Apps ingress, where
// TLS ends (azd resolves the host to api.<environment domain>).
var apiHttp = api.GetEndpoint("http");
api.WithEnvironment("Mail__LinkBaseUrl", builder.ExecutionContext.IsPublishMode
    ? ReferenceExpression.Create($"https://{apiHttp.Property(EndpointProperty.Host)}")
    : ReferenceExpression.Create($"{apiHttp}"));

if (builder.ExecutionContext.IsPublishMode)
{
    // Azure Container Apps restarts a container that exits, even with 0: after migrating, the worker stays idle until
    // the next revision replaces it, instead of migrating over and over (docs/deploy.md, "The migration worker").
    migrator.WithEnvironment("Migrations__IdleAfterSuccess", "true");

    // Behind the Container Apps ingress every client arrives from the environment's network: the API believes the
    // ingress's X-Forwarded-For from there. With a virtual network, narrow it to the infrastructure subnet.
    var knownNetworks = builder.AddParameter("api-known-networks", "10.0.0.0/8,100.64.0.0/10", publishValueAsDefault: true);
    api.WithEnvironment("ForwardedHeaders__KnownNetworks__0", knownNetworks);
}

// Development only: "Reset database" (drop, migrate again) and "Reset database and seed demo data" on crm.
builder.AddDatabaseResetCommands(crm, migrator, api);

builder.Build().Run();
return 0;
