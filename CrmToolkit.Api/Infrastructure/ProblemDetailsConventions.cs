using System.Text.Json;

namespace CrmToolkit.Api.Infrastructure;

public static class ProblemDetailsConventions
{
    /// <summary>
    /// ProblemDetails for every error; validation error keys in camelCase like the JSON they describe
    /// (<c>errors.email</c>, not <c>errors.Email</c>).
    /// </summary>
    public static IServiceCollection AddCrmProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            if (context.ProblemDetails is HttpValidationProblemDetails validation)
            {
                var errors = validation.Errors.ToDictionary(e => CamelCase(e.Key), e => e.Value);
                validation.Errors.Clear();
                foreach (var (key, messages) in errors)
                {
                    validation.Errors[key] = messages;
                }
            }
        });
        services.AddExceptionHandler<ExpectedExceptionHandler>();
        return services;
    }

    // "Email" -> "email", "Address.Street" -> "address.street", "Items[0].Name" -> "items[0].name"
    private static string CamelCase(string key) =>
        string.Join('.', key.Split('.').Select(JsonNamingPolicy.CamelCase.ConvertName));
}
