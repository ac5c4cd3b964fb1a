using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CrmToolkit.Hosting.Postgres;
using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Deployment;

/// <summary>
/// The publish shape azd deploys, read from the manifest the AppHost writes for it (no Azure needed): an API
/// reachable from outside, a worker that does not loop, a managed database by default and never a volume-backed
/// container, and secrets that reach the containers only as secrets (azd makes an env value a secret only when it is
/// a connection string or a secret parameter itself).
/// </summary>
public sealed class PublishManifestTests
{
    [Fact]
    public async Task ByDefaultTheDatabaseIsAManagedServersTwoSecretConnectionStrings()
    {
        var resources = await AppHostProgram.PublishManifestAsync();

        Assert.DoesNotContain(resources.EnumerateObject(), r => r.Value.GetProperty("type").GetString()!.StartsWith("container", StringComparison.Ordinal));
        foreach (var name in new[] { "crm", "crmapp" })
        {
            var parameter = resources.GetProperty(name);
            Assert.Equal("parameter.v0", parameter.GetProperty("type").GetString());
            Assert.Equal($"{{{name}.value}}", parameter.GetProperty("connectionString").GetString());
            var input = parameter.GetProperty("inputs").GetProperty("value");
            Assert.True(input.GetProperty("secret").GetBoolean());
            Assert.False(input.TryGetProperty("default", out _), $"{name} has a default: azd refuses a secret parameter with one");
        }

        // No generated passwords: the managed server's come with its connection strings.
        Assert.False(resources.TryGetProperty("postgres-password", out _));
        Assert.False(resources.TryGetProperty("crm-app-password", out _));
        Assert.Equal("{crm.connectionString}", Env(resources, "migrator", "ConnectionStrings__crm"));
        Assert.Equal("{crmapp.connectionString}", Env(resources, "migrator", "ConnectionStrings__crmapp"));
        Assert.Equal("{crmapp.connectionString}", Env(resources, "api", "ConnectionStrings__crm"));
        SecretsOnlyAsSecrets(resources);
    }

    [Fact]
    public async Task TheApiIsReachableFromOutsideAndTrustsOnlyItsOwnProxySettings()
    {
        var resources = await AppHostProgram.PublishManifestAsync();

        var bindings = resources.GetProperty("api").GetProperty("bindings");
        Assert.True(bindings.GetProperty("http").GetProperty("external").GetBoolean());
        var env = resources.GetProperty("api").GetProperty("env");
        // Not Aspire's switch, which would believe X-Forwarded-For from anyone: the API's own list, from a parameter.
        Assert.False(env.TryGetProperty("ASPNETCORE_FORWARDEDHEADERS_ENABLED", out _));
        Assert.Equal("{api-known-networks.value}", env.GetProperty("ForwardedHeaders__KnownNetworks__0").GetString());
        Assert.False(resources.GetProperty("api-known-networks").GetProperty("inputs").GetProperty("value").TryGetProperty("secret", out _));
    }

    [Fact]
    public async Task MailGoesToASecretSmtpConnectionStringAndItsLinksToTheApisHttpsAddress()
    {
        var resources = await AppHostProgram.PublishManifestAsync();

        // No mail catcher published: a real SMTP server's connection string, which azd asks for.
        var mail = resources.GetProperty("mail");
        Assert.Equal("parameter.v0", mail.GetProperty("type").GetString());
        Assert.Equal("{mail.value}", mail.GetProperty("connectionString").GetString());
        var input = mail.GetProperty("inputs").GetProperty("value");
        Assert.True(input.GetProperty("secret").GetBoolean());
        Assert.False(input.TryGetProperty("default", out _), "mail has a default: azd refuses a secret parameter with one");

        Assert.Equal("{mail.connectionString}", Env(resources, "api", "ConnectionStrings__mail"));
        Assert.Null(Env(resources, "migrator", "ConnectionStrings__mail"));
        // azd resolves the host of the API's external http binding to api.<environment domain>, served over https.
        Assert.Equal("https://{api.bindings.http.host}", Env(resources, "api", "Mail__LinkBaseUrl"));
        SecretsOnlyAsSecrets(resources);
    }

    [Fact]
    public async Task TheWorkerHasNoIngressAndIdlesAfterMigratingInsteadOfLooping()
    {
        var resources = await AppHostProgram.PublishManifestAsync();

        var migrator = resources.GetProperty("migrator");
        Assert.Equal("project.v0", migrator.GetProperty("type").GetString());
        Assert.False(migrator.TryGetProperty("bindings", out _));
        Assert.Equal("true", Env(resources, "migrator", "Migrations__IdleAfterSuccess"));
    }

    [Fact]
    public async Task AContainerPreviewDatabaseHasNoVolumeAndItsPasswordsStaySecret()
    {
        var resources = await AppHostProgram.PublishManifestAsync("--Postgres:PublishAs=container");

        var postgres = resources.GetProperty("postgres");
        Assert.Equal("container.v0", postgres.GetProperty("type").GetString());
        Assert.False(postgres.TryGetProperty("volumes", out _), "an Azure Files volume cannot hold a data directory");
        Assert.False(postgres.TryGetProperty("bindMounts", out _));
        Assert.True(resources.GetProperty("postgres-password").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        Assert.True(resources.GetProperty("crm-app-password").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        Assert.Equal("{crmapp.connectionString}", Env(resources, "api", "ConnectionStrings__crm"));
        SecretsOnlyAsSecrets(resources);
    }

    [Theory]
    [InlineData("")]
    [InlineData("--Postgres:PublishAs=container")]
    public async Task EveryNameStaysDistinctOnceAzdHasNormalisedIt(string arguments)
    {
        var resources = await AppHostProgram.PublishManifestAsync(arguments);
        var secretParameters = Azd.SecretParameters(resources);
        var collisions = new List<string>();

        // A container app's environment: every variable may be (or become) a secret, whose name is the variable's in
        // lower case with '-' for '_'. Two variables with one secret name are one secret twice, which Container Apps refuses.
        foreach (var resource in resources.EnumerateObject())
        {
            if (!resource.Value.TryGetProperty("env", out var env))
            {
                continue;
            }

            collisions.AddRange(env.EnumerateObject()
                .GroupBy(v => Azd.ContainerAppSecretName(v.Name), StringComparer.Ordinal)
                .Where(g => g.Count() > 1)
                .Select(g => $"{resource.Name}: {string.Join(", ", g.Select(v =>
                    $"{v.Name}{(Azd.IsSecret(v.Name, v.Value.GetString() ?? "", secretParameters) ? " (a secret)" : "")}"))} -> {g.Key}"));
        }

        // The parameters: one Bicep parameter, one AZURE_* variable and one infra.parameters key each.
        var parameters = resources.EnumerateObject().Where(r => r.Value.GetProperty("type").GetString() == "parameter.v0").Select(r => r.Name).ToList();
        foreach (var (kind, normalise) in new (string, Func<string, string>)[]
                 {
                     ("Bicep parameter", Azd.BicepParameterName),
                     ("environment variable", Azd.EnvironmentVariable),
                 })
        {
            collisions.AddRange(parameters.GroupBy(normalise, StringComparer.Ordinal).Where(g => g.Count() > 1)
                .Select(g => $"parameters {string.Join(", ", g)} -> {kind} {g.Key}"));
        }

        Assert.True(collisions.Count == 0, "azd would give two things one name:" + Environment.NewLine + string.Join(Environment.NewLine, collisions));
    }

    [Fact]
    public async Task CitusWorkersChangeNothingInThePublishedApp()
    {
        var plain = await AppHostProgram.PublishManifestAsync();
        var citus = await AppHostProgram.PublishManifestAsync("--Postgres:CitusWorkers=2");

        // A managed server is whatever azd's infrastructure makes it: no worker is published.
        Assert.Equal(plain.ToString(), citus.ToString());
    }

    [Fact]
    public async Task InContainerModeATestAppHostsDatabaseHasAVolumeOfItsOwn()
    {
        // The app models only, never started: no container runtime is needed.
        var dataDirectory = TestAppHost.NewDataDirectory();
        var developers = await DataVolumeAsync(["--ConnectionStrings:crm="]);
        var tests = await DataVolumeAsync(TestAppHost.IsolatedArguments(dataDirectory));

        Assert.Equal(TestAppHost.DataVolume(dataDirectory), tests);
        Assert.NotEqual(developers, tests);
        Assert.NotEqual(tests, await DataVolumeAsync(TestAppHost.IsolatedArguments(TestAppHost.NewDataDirectory())));
    }

    private static async Task<string?> DataVolumeAsync(string[] arguments)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CrmToolkit_AppHost>(
            ["--Postgres:Mode=container", .. arguments]);
        var postgres = builder.Resources.Single(r => r.Name == CrmDatabaseBuilderExtensions.ServerName);
        return postgres.Annotations.OfType<ContainerMountAnnotation>().Single(m => m.Type == ContainerMountType.Volume).Source;
    }

    private static string? Env(JsonElement resources, string resource, string name) =>
        resources.GetProperty(resource).GetProperty("env").TryGetProperty(name, out var value) ? value.GetString() : null;

    // azd turns an env value into a Container Apps secret only when its name holds ConnectionStrings__ or its value a
    // connection string, or it is a secret parameter itself; anything else that holds a secret would be plain text.
    private static void SecretsOnlyAsSecrets(JsonElement resources)
    {
        var secrets = resources.EnumerateObject()
            .Where(r => r.Value.TryGetProperty("inputs", out var inputs) && inputs.TryGetProperty("value", out var value)
                && value.TryGetProperty("secret", out var secret) && secret.GetBoolean())
            .Select(r => r.Name)
            .ToList();
        Assert.NotEmpty(secrets);
        foreach (var resource in resources.EnumerateObject())
        {
            if (!resource.Value.TryGetProperty("env", out var env))
            {
                continue;
            }

            foreach (var variable in env.EnumerateObject())
            {
                var value = variable.Value.GetString() ?? "";
                var safe = variable.Name.Contains("ConnectionStrings__", StringComparison.Ordinal)
                    || value.Contains(".connectionString}", StringComparison.Ordinal)
                    || secrets.Any(s => value == $"{{{s}.value}}");
                Assert.True(safe || !secrets.Any(s => value.Contains($"{{{s}.", StringComparison.Ordinal)),
                    $"{resource.Name}: {variable.Name} = {value} would be a plain environment value holding a secret");
            }
        }
    }
}
