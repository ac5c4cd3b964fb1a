using Aspire.Hosting;

namespace CrmToolkit.Tests.Infrastructure;

/// <summary>The build output of a project of this solution, in the configuration the tests were built in.</summary>
public static class BuildOutput
{
    public static string Dll<TProject>() where TProject : IProjectMetadata, new()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory); // .../bin/<Configuration>/<tfm>/
        var projectPath = new TProject().ProjectPath;
        var directory = Path.GetDirectoryName(projectPath)!;
        return Path.Combine(directory, "bin", testBin.Parent!.Name, testBin.Name, Path.GetFileNameWithoutExtension(projectPath) + ".dll");
    }
}
