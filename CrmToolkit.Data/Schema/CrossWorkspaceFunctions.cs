namespace CrmToolkit.Data.Schema;

/// <summary>
/// The only ways across workspaces, as <c>SECURITY DEFINER</c> functions, each keyed on what its caller proves: a
/// session (its workspace and token hash) for everything a signed-in user reads about their own workspaces and
/// invitations; an email for login's password check, and the user whose password was just checked for login's choice
/// of workspace; a mailed token's hash for proof of email and password reset; nothing but the server's clock for the
/// purges. They run as the migration owner, which row-level security exempts (it is enabled, not forced), return no
/// password hash but <c>crm_login_user</c>'s, and are all the application role can do across workspaces. See
/// <see cref="CrossWorkspace"/>.
/// </summary>
/// <remarks>
/// Each function's body is written in the migration that creates or changes it (<c>InitialCreate</c>, <c>ProofOfEmail</c>,
/// <c>LimitsThatHold</c>), never here: a new or changed function goes into a new migration, with its whole body and a
/// <c>REVOKE ALL ... FROM PUBLIC</c>. Those a request calls are PL/pgSQL, not <c>LANGUAGE sql</c>: PostgreSQL never
/// inlines a <c>SECURITY DEFINER</c> function (nor one with a <c>SET</c> clause), and then plans a SQL body on every
/// call, while PL/pgSQL keeps its plan for the connection.
/// </remarks>
public static class CrossWorkspaceFunctions;
