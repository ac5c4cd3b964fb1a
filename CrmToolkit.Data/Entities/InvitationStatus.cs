namespace CrmToolkit.Data.Entities;

/// <summary>Where an invitation stands; stored lower-case in <c>invitations.status</c>.</summary>
public enum InvitationStatus
{
    Pending,
    Accepted,
    Declined,
    Revoked,

    /// <summary>Another invitation to the same email replaced it.</summary>
    Replaced,
}
