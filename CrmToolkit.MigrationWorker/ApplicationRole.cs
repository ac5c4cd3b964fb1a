using System.Security.Cryptography;
using System.Text;
using CrmToolkit.Data;
using Microsoft.EntityFrameworkCore;

namespace CrmToolkit.MigrationWorker;

/// <summary>
/// Provisions the application role: it can log in and read and write the tables, and nothing else. It owns
/// nothing, is no superuser and has no BYPASSRLS, so row-level security applies to every query it sends.
/// </summary>
internal static class ApplicationRole
{
    /// <summary>
    /// Creates the role, or updates it to these options: with a password, a login role with that password; without
    /// one, a role without LOGIN when it does not exist yet (an existing role is left as it is). Then grants it the
    /// tables and functions, but not the password hashes in <c>users</c>.
    /// </summary>
    public static async Task EnsureAsync(CrmDbContext db, ApplicationRoleOptions settings, CancellationToken cancellationToken)
    {
        var role = settings.Name; // a validated identifier (ApplicationRoleOptions), and the database name is quoted: the DDL below is safe to splice
        var database = db.Database.GetDbConnection().Database.Replace("\"", "\"\"", StringComparison.Ordinal);

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (settings.Password is { Length: > 0 } password)
        {
            // Only a SCRAM verifier reaches the server (as a parameter): never the password, in any SQL text
            // or statement log.
            var verifier = ScramSha256Verifier(password);
            await db.Database.ExecuteSqlAsync($"SELECT set_config('crm.app_role_password', {verifier}, true)", cancellationToken);
            var createOrUpdate = CreateRoleSql(role, "LOGIN") + $"""

                DO $$
                BEGIN
                    EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L',
                        '{role}', current_setting('crm.app_role_password'));
                END
                $$;
                """;
            await db.Database.ExecuteSqlRawAsync(createOrUpdate, cancellationToken);
        }
        else
        {
            var create = CreateRoleSql(role, "NOLOGIN");
            await db.Database.ExecuteSqlRawAsync(create, cancellationToken);
        }

        var grants = $"""
            GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {role};
            GRANT USAGE ON SCHEMA public TO {role};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
            REVOKE ALL ON TABLE "__EFMigrationsHistory" FROM {role};
            -- Every column of users but the password hash; login reads the hash through crm_login_user.
            REVOKE SELECT ON TABLE users FROM {role};
            GRANT SELECT (id, email, name, email_verified, created_at, updated_at) ON TABLE users TO {role};
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
            GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role};
            """;
        await db.Database.ExecuteSqlRawAsync(grants, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    // Tolerates the role existing already, or another worker creating it at the same moment. A new role is no
    // superuser, cannot bypass row-level security and creates nothing (PostgreSQL's defaults); naming those attributes
    // would need a superuser, which a managed server's admin is not.
    private static string CreateRoleSql(string role, string login) => $$"""
        DO $$
        BEGIN
            CREATE ROLE {{role}} {{login}};
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END
        $$;
        """;

    /// <summary>
    /// PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802/7677, as <c>pg_authid.rolpassword</c>
    /// holds it); <c>ALTER ROLE ... PASSWORD</c> accepts it as is.
    /// </summary>
    internal static string ScramSha256Verifier(string password, int iterations = 4096)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password.Normalize(NormalizationForm.FormKC)), salt, iterations, HashAlgorithmName.SHA256, 32);
        var storedKey = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }
}
