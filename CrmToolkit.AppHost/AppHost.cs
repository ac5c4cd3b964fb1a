using CrmToolkit.Hosting.Mail;
using CrmToolkit.Hosting.Postgres;

var builder = DistributedApplication.CreateBuilder(args);

// Nothing runs without PostgreSQL: when no mode can work, one line says what to install.
CrmDatabase crm;
try
{
    crm = builder.AddCrmDatabase();
}
catch (PostgresUnavailableException ex)
{
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

var mail = builder.AddMailCatcher();

// Neither project serves HTTPS (the API listens on http; in Azure the ingress ends TLS). Without this, every project
// carries Aspire's default HTTPS-certificate configuration, and the dashboard warns about a missing trusted
// development certificate that nothing here would use. (An evaluation API in Aspire 13.6: ASPIRECERTIFICATES001.)
#pragma warning disable ASPIRECERTIFICATES001
var migrator = builder.AddProject<Projects.CrmToolkit_MigrationWorker>("migrator")
    .WithoutHttpsCertificate()
    .WithOwnerConnection(crm);

var api = builder.AddProject<Projects.CrmToolkit_Api>("api")
    .WithoutHttpsCertificate()
    .WithAppConnection(crm)
    .WaitForCompletion(migrator)
    .WithReference(mail)
    .WaitFor(mail)
    .WithHttpHealthCheck("/health")
    .WithReplicas(replicas)
    .WithExternalHttpEndpoints()
    // Aspire's would believe every proxy; the API believes only those of its ForwardedHeaders settings.
    .DisableForwardedHeaders();
#pragma warning restore ASPIRECERTIFICATES001

var apiHttp = api.GetEndpoint("http");
if (builder.ExecutionContext.IsPublishMode)
{
    // Mailed links lead to the API's Container Apps ingress, where TLS ends.
    api.WithEnvironment("Mail__LinkBaseUrl", ReferenceExpression.Create($"https://{apiHttp.Property(EndpointProperty.Host)}"));

    // Every client arrives through that ingress, from the environment's network.
    var knownNetworks = builder.AddParameter("api-known-networks", "10.0.0.0/8,100.64.0.0/10", publishValueAsDefault: true);
    api.WithEnvironment("ForwardedHeaders__KnownNetworks__0", knownNetworks);

    // Container Apps restarts a container that exits, even with 0 (docs/deploy.md, "The migration worker").
    migrator.WithEnvironment("Migrations__IdleAfterSuccess", "true");
}
else
{
    api.WithEnvironment("Mail__LinkBaseUrl", ReferenceExpression.Create($"{apiHttp}"));
    if (replicas == 1)
    {
        // Without the proxy the API's per-address limits see each client's own address.
        api.WithEndpoint("http", endpoint =>
        {
            endpoint.IsProxied = false;
            endpoint.TargetPort = endpoint.Port;
        });
    }
}

// Development only: "Reset database" and "Reset database and seed demo data" on crm.
builder.AddDatabaseResetCommands(crm, migrator, api);

builder.Build().Run();
// Not 0 when the app stopped itself because PostgreSQL could not start (it said why on stderr).
return Environment.ExitCode;
