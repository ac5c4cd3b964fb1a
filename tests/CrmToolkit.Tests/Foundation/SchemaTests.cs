using CrmToolkit.Tests.Infrastructure;

namespace CrmToolkit.Tests.Foundation;

/// <summary>The migrated schema, read back from the catalog, is the design document's, column by column.</summary>
[Collection(AppCollection.Name)]
public sealed class SchemaTests(AppFixture app)
{
    private static readonly string[] CoreTables = ["users", "workspaces", "workspace_members", "sessions"];

    [Fact]
    public async Task ColumnsHaveTheSeedsNamesTypesLengthsNullabilityAndDefaults()
    {
        var columns = await app.Database.ListAsync("""
            SELECT table_name || '.' || column_name, data_type, coalesce(character_maximum_length::text, '-'),
                   is_nullable, coalesce(column_default, '-')
              FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = ANY($1)
             ORDER BY table_name, ordinal_position
            """, (object)CoreTables);

        const string tz = "timestamp with time zone";
        const string varchar = "character varying";
        string[] expected =
        [
            "sessions.id | character varying | 255 | NO | -",
            $"sessions.user_id | uuid | - | NO | -",
            $"sessions.workspace_id | {varchar} | 20 | NO | -",
            $"sessions.expires_at | {tz} | - | NO | -",
            $"sessions.created_at | {tz} | - | NO | now()",
            "users.id | uuid | - | NO | gen_random_uuid()",
            $"users.email | {varchar} | 255 | NO | -",
            $"users.password_hash | {varchar} | 255 | NO | -",
            $"users.name | {varchar} | 255 | NO | -",
            $"users.created_at | {tz} | - | NO | now()",
            $"users.updated_at | {tz} | - | NO | now()",
            "users.email_verified | boolean | - | NO | false", // v1.2, after the seed's columns: a Drizzle insert leaves it unverified
            "workspace_members.id | uuid | - | NO | gen_random_uuid()",
            $"workspace_members.workspace_id | {varchar} | 20 | NO | -",
            "workspace_members.user_id | uuid | - | NO | -",
            $"workspace_members.role | {varchar} | 50 | NO | 'member'::character varying",
            $"workspace_members.joined_at | {tz} | - | NO | now()",
            $"workspaces.id | {varchar} | 20 | NO | -",
            $"workspaces.name | {varchar} | 255 | NO | -",
            "workspaces.description | text | - | YES | -",
            "workspaces.created_by | uuid | - | NO | -",
            $"workspaces.created_at | {tz} | - | NO | now()",
            $"workspaces.updated_at | {tz} | - | NO | now()",
        ];
        Assert.Equal(expected, columns);
    }

    [Fact]
    public async Task KeysForeignKeysAndChecksAreInTheDatabase()
    {
        var constraints = await app.Database.ListAsync("""
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
              FROM pg_constraint
             WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text = ANY($1)
             ORDER BY 1, 2
            """, (object)CoreTables);

        string[] expected =
        [
            "sessions | sessions_pkey | PRIMARY KEY (workspace_id, id)",
            "sessions | sessions_user_id_users_id_fk | FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE",
            "sessions | sessions_workspace_id_workspaces_id_fk | FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE",
            "users | users_pkey | PRIMARY KEY (id)",
            "workspace_members | workspace_members_pkey | PRIMARY KEY (workspace_id, id)",
            "workspace_members | workspace_members_role_check | CHECK (((role)::text = ANY ((ARRAY['owner'::character varying, 'admin'::character varying, 'member'::character varying])::text[])))",
            "workspace_members | workspace_members_user_id_users_id_fk | FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE",
            "workspace_members | workspace_members_workspace_id_workspaces_id_fk | FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE",
            "workspaces | workspaces_created_by_users_id_fk | FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE RESTRICT",
            "workspaces | workspaces_id_check | CHECK ((((id)::text COLLATE \"C\") ~ '^[A-Za-z0-9]{10,20}$'::text))",
            "workspaces | workspaces_pkey | PRIMARY KEY (id)",
        ];
        Assert.Equal(expected, constraints);
    }

    [Fact]
    public async Task IndexesAreTheDesignedOnes()
    {
        var indexes = await app.Database.ListAsync("""
            SELECT indexname, regexp_replace(indexdef, '^.* USING ', '')
              FROM pg_indexes
             WHERE schemaname = 'public' AND tablename = ANY($1)
             ORDER BY 1
            """, (object)CoreTables);

        string[] expected =
        [
            "sessions_expires_at_idx | btree (expires_at)",
            "sessions_pkey | btree (workspace_id, id)", // also serves workspace_id
            "sessions_user_id_idx | btree (user_id)",
            "users_email_unique | btree (lower((email)::text))",
            "users_pkey | btree (id)",
            "workspace_members_pkey | btree (workspace_id, id)",
            "workspace_members_user_id_idx | btree (user_id)",
            "workspace_members_workspace_id_user_id_unique | btree (workspace_id, user_id)",
            "workspaces_created_by_idx | btree (created_by, created_at)", // also the per-user creation allowance
            "workspaces_pkey | btree (id)",
        ];
        Assert.Equal(expected, indexes);

        var unique = await app.Database.ListAsync("""
            SELECT indexname FROM pg_indexes
             WHERE schemaname = 'public' AND tablename = ANY($1) AND indexdef LIKE 'CREATE UNIQUE INDEX%' ORDER BY 1
            """, (object)CoreTables);
        Assert.Equal(
            ["sessions_pkey", "users_email_unique", "users_pkey", "workspace_members_pkey", "workspace_members_workspace_id_user_id_unique", "workspaces_pkey"],
            unique);
    }

    [Fact]
    public async Task EveryForeignKeyHasAnIndexLeadingWithItsColumn()
    {
        var unserved = await app.Database.ListAsync("""
            SELECT c.conname
              FROM pg_constraint c
             WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
               AND NOT EXISTS (
                   SELECT 1 FROM pg_index i
                    WHERE i.indrelid = c.conrelid
                      AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)
            """);
        Assert.Empty(unserved);
    }

    [Fact]
    public async Task EveryTableWithUpdatedAtHasTheTriggerThatMaintainsIt()
    {
        var withColumn = await app.Database.ListAsync(
            "SELECT table_name || ' ' || table_name || '_set_updated_at' FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'updated_at' ORDER BY 1");
        var triggers = await app.Database.ListAsync(
            "SELECT tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%\\_set\\_updated\\_at' ORDER BY 1");

        Assert.Contains("users users_set_updated_at", triggers);
        Assert.Contains("workspaces workspaces_set_updated_at", triggers);
        Assert.Equal(withColumn, triggers);
    }
}
