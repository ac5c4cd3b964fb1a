using CrmToolkit.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmToolkit.Contacts;

/// <summary>How a host takes the contacts package in: the model (API and migration worker) and the routes (API).</summary>
public static class ContactsPackage
{
    /// <summary>Adds the <c>contacts</c> table to the CRM model, and the validation of the package's requests.</summary>
    public static IHostApplicationBuilder AddContacts(this IHostApplicationBuilder builder)
    {
        // ASP.NET Core's validation source generator registers the validatable types of the compilation that calls
        // AddValidation: this package's route parameters and bodies. The API's own call covers only the API's.
        builder.Services.AddValidation();
        return builder.AddCrmPackage(typeof(ContactsPackage).Assembly);
    }

    /// <summary>Maps <c>/contacts</c> under a workspace's route group (<c>/api/workspaces/{workspaceId}</c>).</summary>
    public static RouteGroupBuilder MapContacts(this RouteGroupBuilder workspace) => ContactsApi.Map(workspace);
}
