using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CrmToolkit.Hosting.Postgres;

/// <summary>
/// The seed's <c>db:push</c>-style fast loop, done safely: dashboard commands on the CRM database that drop it
/// and let the migration worker build it again, optionally followed by a small demo data set.
/// </summary>
public static class DatabaseResetCommands
{
    public const string ResetCommand = "reset-database";
    public const string ResetAndSeedCommand = "reset-database-and-seed";

    /// <summary>The demo user that <see cref="ResetAndSeedCommand"/> registers; its password is new on every seed.</summary>
    public const string DemoEmail = "demo@crmtoolkit.local";

    /// <summary>
    /// Adds <see cref="ResetCommand"/> and <see cref="ResetAndSeedCommand"/> to the database resource, in run mode, the
    /// Development environment, and only for a database the AppHost runs (local or container mode): they do not exist
    /// in a published app, any other environment, or for an existing server.
    /// </summary>
    public static void AddDatabaseResetCommands(
        this IDistributedApplicationBuilder builder,
        CrmDatabase database,
        IResourceBuilder<ProjectResource> migrator,
        IResourceBuilder<ProjectResource> api)
    {
        // Never on a server the AppHost does not run itself (existing mode): one click would drop whatever database a
        // connection string names.
        if (!builder.ExecutionContext.IsRunMode || !builder.Environment.IsDevelopment() || database.Mode == PostgresMode.Existing)
        {
            return;
        }

        var reset = new DatabaseReset(database.Database.Resource, database.Citus, migrator.Resource, api.Resource);
        database.Database
            .WithCommand(ResetCommand, "Reset database", context => reset.ExecuteAsync(context, seed: false), new CommandOptions
            {
                Description = "Development only: drop the database and migrate it again from scratch.",
                ConfirmationMessage = "Drop the CRM database with all its data, and migrate it again from scratch?",
                IconName = "ArrowReset",
            })
            .WithCommand(ResetAndSeedCommand, "Reset database and seed demo data", context => reset.ExecuteAsync(context, seed: true), new CommandOptions
            {
                Description = $"Development only: drop the database, migrate it, and register {DemoEmail} with a demo workspace and contacts.",
                ConfirmationMessage = $"Drop the CRM database with all its data, migrate it again, and seed demo data ({DemoEmail})?",
                IconName = "DatabaseArrowUp",
            });
    }

    private sealed class DatabaseReset(IResourceWithConnectionString database, CitusCluster? citus, ProjectResource migrator, ProjectResource api)
    {
        private static readonly TimeSpan MigrationTimeout = TimeSpan.FromMinutes(2);
        private static readonly TimeSpan ApiTimeout = TimeSpan.FromSeconds(60);
        private static readonly string[] SystemDatabases = ["postgres", "template0", "template1"];

        private readonly SemaphoreSlim _gate = new(1, 1);

        public async Task<ExecuteCommandResult> ExecuteAsync(ExecuteCommandContext context, bool seed)
        {
            if (!await _gate.WaitAsync(0, context.CancellationToken))
            {
                return CommandResults.Failure("A reset is already running.");
            }

            try
            {
                return await ResetAsync(context, seed);
            }
            catch (Exception ex) when (ex is NpgsqlException or HttpRequestException or TimeoutException or InvalidOperationException or JsonException)
            {
                context.Logger.LogError("Database reset failed: {Reason}", ex.Message);
                return CommandResults.Failure($"Database reset failed: {ex.Message}");
            }
            finally
            {
                _gate.Release();
            }
        }

        private async Task<ExecuteCommandResult> ResetAsync(ExecuteCommandContext context, bool seed)
        {
            var ct = context.CancellationToken;
            var logger = context.Logger;
            var notifications = context.Services.GetRequiredService<ResourceNotificationService>();

            if (notifications.TryGetCurrentState(migrator.Name, out var current)
                && current.Snapshot.State?.Text is { } migratorState
                && !KnownResourceStates.TerminalStates.Contains(migratorState) && migratorState != KnownResourceStates.NotStarted)
            {
                return CommandResults.Failure($"The migrator is {migratorState}; reset once it has finished.");
            }

            // The migrator waits for the coordinator's setup of this start: once that failed, it cannot start until the
            // app starts again.
            if (citus is not null && notifications.TryGetCurrentState(database.Name, out var crm) && crm.Snapshot.State?.Text == KnownResourceStates.FailedToStart)
            {
                return CommandResults.Failure("The Citus cluster could not be set up at start (the log of the coordinator says why): stop the app, fix that, and start it again.");
            }

            var owner = new NpgsqlConnectionStringBuilder(await database.GetConnectionStringAsync(ct));
            var name = owner.Database;
            if (string.IsNullOrEmpty(name) || SystemDatabases.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                return CommandResults.Failure($"Refusing to drop '{name}': it is not the CRM database.");
            }

            logger.LogInformation("Reset: dropping database {Database}", name);
            if (citus is null)
            {
                await DropAsync(owner, name, ct);
            }
            else
            {
                // The database on every node (Citus does not propagate DROP DATABASE by default), and with it the
                // cluster's metadata; then the cluster is set up again, as at start, for the migrator.
                foreach (var node in citus.Nodes)
                {
                    await DropAsync(new NpgsqlConnectionStringBuilder(await node.ConnectionStringExpression.GetValueAsync(ct)), name, ct);
                }

                logger.LogInformation("Reset: setting up the Citus cluster again");
                await citus.EnsureAsync(logger, ct);
            }

            logger.LogInformation("Reset: migrating database {Database} again", name);
            var exitCode = await RunMigratorAsync(context.Services, notifications, ct);
            if (exitCode != 0)
            {
                return CommandResults.Failure($"The database was dropped, but the migrator exited with code {exitCode}: its log says why.");
            }

            using var http = new HttpClient { BaseAddress = api.GetEndpoint("http").Url is { } url ? new Uri(url) : null, Timeout = TimeSpan.FromSeconds(10) };
            await WaitForApiAsync(http, ct);
            if (!seed)
            {
                logger.LogInformation("Reset: database {Database} is empty and migrated, the API is healthy", name);
                return CommandResults.Success($"Database '{name}' dropped and migrated again; the API is healthy.");
            }

            var demo = await SeedAsync(http, ct);
            // The password is shown to the developer in the command's result, never logged.
            logger.LogInformation("Reset: database {Database} migrated and seeded ({Email}, workspace {Workspace})", name, DemoEmail, demo.WorkspaceId);
            return CommandResults.Success(
                $"Database '{name}' dropped, migrated and seeded: sign in as {DemoEmail}.",
                $"""
                Demo data (Development only; this password is new on every seed):

                | | |
                |---|---|
                | email | `{DemoEmail}` |
                | password | `{demo.Password}` |
                | workspace | `{demo.WorkspaceId}` ({demo.Contacts} contacts) |
                """,
                CommandResultFormat.Markdown,
                displayImmediately: true);
        }

        // Only the CRM database goes, with every session still connected to it (the API's pooled connections
        // among them); roles, and any other database on the server, are left alone.
        private static async Task DropAsync(NpgsqlConnectionStringBuilder owner, string name, CancellationToken ct)
        {
            var maintenance = new NpgsqlConnectionStringBuilder(owner.ConnectionString) { Database = "postgres", Pooling = false };
            NpgsqlConnection connection;
            try
            {
                connection = new NpgsqlConnection(maintenance.ConnectionString);
                await connection.OpenAsync(ct);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                maintenance.Database = "template1"; // a server without the "postgres" database
                connection = new NpgsqlConnection(maintenance.ConnectionString);
                await connection.OpenAsync(ct);
            }

            await using (connection)
            {
                var quoted = "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync(ct);
            }
        }

        // Starts the (finished) migration worker again and waits for that run's exit code.
        private async Task<int> RunMigratorAsync(IServiceProvider services, ResourceNotificationService notifications, CancellationToken ct)
        {
            var before = notifications.TryGetCurrentState(migrator.Name, out var previous) ? previous.Snapshot.StartTimeStamp : null;

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(MigrationTimeout);
            var finished = notifications.WaitForResourceAsync(
                migrator.Name,
                e => e.Snapshot.StartTimeStamp is { } started && (before is null || started > before)
                     && e.Snapshot.ExitCode is not null
                     && KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text),
                timeout.Token);

            var start = await services.GetRequiredService<ResourceCommandService>()
                .ExecuteCommandAsync(migrator, KnownResourceCommands.StartCommand, ct);
            if (!start.Success)
            {
                throw new InvalidOperationException($"The migrator could not be started: {start.Message}");
            }

            try
            {
                return (await finished).Snapshot.ExitCode ?? -1;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"The migrator did not finish within {MigrationTimeout.TotalSeconds:0} s.");
            }
        }

        // The API recovers by itself (its broken pooled connections fail once and are retried); this only waits
        // until it answers healthy, so the result means "ready to use".
        private static async Task WaitForApiAsync(HttpClient http, CancellationToken ct)
        {
            var deadline = DateTime.UtcNow + ApiTimeout;
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync("/health", ct);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline)
                {
                }
                catch (TaskCanceledException) when (!ct.IsCancellationRequested && DateTime.UtcNow < deadline)
                {
                }

                if (DateTime.UtcNow >= deadline)
                {
                    throw new TimeoutException($"The database is migrated, but the API was not healthy within {ApiTimeout.TotalSeconds:0} s.");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }

        private sealed record DemoData(string Password, string WorkspaceId, int Contacts);

        // Through the API's own register and contacts endpoints: its validation, password hashing and
        // workspace rules apply exactly as to any client.
        private static async Task<DemoData> SeedAsync(HttpClient http, CancellationToken ct)
        {
            var password = RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 20);
            using var register = await http.PostAsJsonAsync("/api/auth/register",
                new { email = DemoEmail, password, name = "Demo User", workspaceName = "Demo workspace" }, ct);
            await EnsureSuccessAsync(register, "register the demo user", ct);
            using var body = JsonDocument.Parse(await register.Content.ReadAsStringAsync(ct));
            var workspaceId = body.RootElement.GetProperty("workspace").GetProperty("id").GetString()!;
            var token = body.RootElement.GetProperty("session").GetProperty("token").GetString()!;

            object[] contacts =
            [
                new { firstName = "Ada", lastName = "Lovelace", email = "ada@example.com", company = "Analytical Engines" },
                new { firstName = "Grace", lastName = "Hopper", email = "grace@example.com", company = "Compilers Inc." },
                new { firstName = "Alan", lastName = "Turing", phone = "+44 20 7946 0000", company = "Bletchley" },
                new { firstName = "Edsger", lastName = "Dijkstra", notes = "Prefers structured meetings." },
            ];
            foreach (var contact in contacts)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/workspaces/{workspaceId}/contacts")
                {
                    Content = JsonContent.Create(contact),
                };
                request.Headers.Authorization = new("Bearer", token);
                using var created = await http.SendAsync(request, ct);
                await EnsureSuccessAsync(created, "create a demo contact", ct);
            }

            return new DemoData(password, workspaceId, contacts.Length);
        }

        private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
        {
            if (!response.IsSuccessStatusCode)
            {
                // A ProblemDetails title, never a stack trace: safe to show.
                var title = "";
                try
                {
                    using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
                    title = problem.RootElement.TryGetProperty("title", out var t) ? $": {t.GetString()}" : "";
                }
                catch (JsonException)
                {
                }

                throw new InvalidOperationException($"Could not {what} (HTTP {(int)response.StatusCode}{title}).");
            }
        }
    }
}
