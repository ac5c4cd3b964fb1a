using System.Text.Json;
using System.Text.RegularExpressions;

namespace CrmToolkit.Tests.Deployment;

/// <summary>
/// How azd turns an Aspire manifest into Container Apps and Bicep names, as its source has it (Azure/azure-dev,
/// <c>cli/azd</c>): a copy of the rules, so that the tests can find names that would collide once azd has applied them.
/// </summary>
internal static partial class Azd
{
    /// <summary>
    /// The Container Apps secret an environment variable becomes (<c>internal/scaffold/funcs.go</c>,
    /// <c>ContainerAppSecretName</c>): lower case, <c>_</c> replaced by <c>-</c>.
    /// </summary>
    public static string ContainerAppSecretName(string environmentVariable) =>
        environmentVariable.ToLowerInvariant().Replace('_', '-');

    /// <summary>
    /// Whether azd makes an environment variable a Container Apps secret (<c>pkg/apphost/generate.go</c>,
    /// <c>buildEnvBlock</c>): its name holds <c>ConnectionStrings__</c>, its value a connection string, or a secret
    /// parameter's value. (Its fourth case, a Bicep module's secret output, has no use in this AppHost.)
    /// </summary>
    public static bool IsSecret(string name, string value, IReadOnlyCollection<string> secretParameters) =>
        name.Contains("ConnectionStrings__", StringComparison.Ordinal)
        || value.Contains(".connectionString}", StringComparison.Ordinal)
        || secretParameters.Any(p => value.Contains($"{{{p}.value}}", StringComparison.Ordinal));

    /// <summary>The name of a manifest parameter in the Bicep azd generates (<c>generate.go</c>): <c>-</c> replaced by <c>_</c>.</summary>
    public static string BicepParameterName(string parameter) => parameter.Replace('-', '_');

    /// <summary>
    /// The environment variable azd reads a parameter's value from (<c>scaffold.AzureSnakeCase</c>, used for
    /// <c>main.parameters.json</c> at provision and for secured parameters at deploy).
    /// </summary>
    public static string EnvironmentVariable(string parameter) =>
        "AZURE_" + CamelCaseBoundary().Replace(parameter, "${1}_${2}").ToUpperInvariant().Replace('-', '_');

    /// <summary>The azd environment's config key a parameter's value is stored under (<c>azd env config set</c>): the Bicep name.</summary>
    public static string ConfigKey(string parameter) => $"infra.parameters.{BicepParameterName(parameter)}";

    /// <summary>The manifest's parameters (<c>parameter.v0</c>) whose input is a secret.</summary>
    public static IReadOnlyList<string> SecretParameters(JsonElement resources) =>
        resources.EnumerateObject()
            .Where(r => r.Value.GetProperty("type").GetString() == "parameter.v0"
                && r.Value.TryGetProperty("inputs", out var inputs) && inputs.TryGetProperty("value", out var value)
                && value.TryGetProperty("secret", out var secret) && secret.GetBoolean())
            .Select(r => r.Name)
            .ToList();

    [GeneratedRegex("([a-z0-9])([A-Z])")]
    private static partial Regex CamelCaseBoundary();
}
