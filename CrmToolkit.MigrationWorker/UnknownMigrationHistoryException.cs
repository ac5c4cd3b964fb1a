namespace CrmToolkit.MigrationWorker;

/// <summary>
/// The database's migration history holds migrations this version does not have: its schema was made by another
/// version. Nothing is applied; the message says how to start over with local data.
/// </summary>
internal sealed class UnknownMigrationHistoryException(string database, IReadOnlyList<string> unknown) : Exception(
    $"The database '{database}' was migrated by another version of CrmToolkit ({unknown.Count} applied migration(s) unknown to this one, " +
    $"first {unknown[0]}); nothing was applied. For local data, start over: the dashboard command 'Reset database' on '{database}', " +
    $"or stop the app and delete .data/postgres (local mode), or DROP DATABASE \"{database}\" on your own server.");
