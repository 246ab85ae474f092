using MLNetInference.Tests.Shared;

namespace MLNetInference.Samples.Tests;

/// <summary>Where the sample tests (notebook, Quickstart) find the build, and how they run <c>dotnet</c> there.</summary>
internal static class DotnetProcess
{
    /// <summary>The configuration these tests were built in (Release or Debug), so samples run from the same build.</summary>
    public static string Configuration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>The folder that holds MLNetInference.sln, above the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "MLNetInference.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No MLNetInference.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Runs dotnet with the arguments and returns its exit code and output; fails the test on timeout.</summary>
    public static Task<ChildProcess.Result> RunAsync(string workingDirectory, string[] arguments, TimeSpan timeout, CancellationToken cancellationToken)
        => ChildProcess.DotnetAsync(workingDirectory, arguments, cancellationToken, timeout);
}
