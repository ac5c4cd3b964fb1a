using System.ComponentModel.DataAnnotations;

namespace CrmToolkit.Api.Features.Invitations;

/// <summary>Invitations (configuration section <c>Invitations</c>), validated at start.</summary>
public sealed class InvitationOptions
{
    public const string Section = "Invitations";

    /// <summary>How long an invitation can be accepted.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Invitations a workspace may create per hour (replacing one counts too); beyond, 429 with <c>Retry-After</c>.</summary>
    [Range(1, 100_000)]
    public int PerWorkspacePerHour { get; set; } = 50;

    /// <summary>Invitations one user may create per hour across all workspaces; beyond, 429 with <c>Retry-After</c>.</summary>
    [Range(1, 100_000)]
    public int PerInviterPerHour { get; set; } = 100;
}
