using CrmToolkit.Data;
using Microsoft.Extensions.Hosting;

namespace CrmToolkit.Contacts;

/// <summary>How a host takes the contacts package in: the model (API and migration worker) and the routes (API).</summary>
public static class ContactsPackage
{
    /// <summary>Adds the <c>contacts</c> table to the CRM model.</summary>
    public static IHostApplicationBuilder AddContacts(this IHostApplicationBuilder builder) =>
        builder.AddCrmPackage(typeof(ContactsPackage).Assembly);

    /// <summary>Maps <c>/contacts</c> under a workspace's route group (<c>/api/workspaces/{workspaceId}</c>).</summary>
    public static RouteGroupBuilder MapContacts(this RouteGroupBuilder workspace) => ContactsApi.Map(workspace);
}
