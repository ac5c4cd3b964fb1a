namespace CrmToolkit.Data;

/// <summary>A write to a workspace-scoped row outside the context's workspace. Always a bug, never a client error.</summary>
public sealed class CrossWorkspaceWriteException(string message) : InvalidOperationException(message);
