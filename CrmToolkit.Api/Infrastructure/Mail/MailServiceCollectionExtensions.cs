namespace CrmToolkit.Api.Infrastructure.Mail;

public static class MailServiceCollectionExtensions
{
    /// <summary>The outbox's sender (a hosted service), the mail links and their options, validated at start.</summary>
    public static IServiceCollection AddCrmMail(this IServiceCollection services)
    {
        services.AddOptions<MailOptions>().BindConfiguration(MailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<MailLinks>();
        services.AddHostedService<MailSender>();
        return services;
    }
}
