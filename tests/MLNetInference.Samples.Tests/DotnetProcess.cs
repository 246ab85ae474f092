using System.Diagnostics;
using System.Text;

namespace MLNetInference.Samples.Tests;

/// <summary>Runs <c>dotnet</c> as a child process for the sample tests (notebook, Quickstart), with a timeout.</summary>
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
    public static async Task<Result> RunAsync(string workingDirectory, string[] arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under `dotnet test`, whose MSBuild settings must not leak into the tool.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        process.StandardInput.Close();
        var output = new StringBuilder();
        var lines = new object();
        process.OutputDataReceived += (_, e) => { lock (lines) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (lines) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet {string.Join(' ', arguments)} did not finish within {timeout}:\n{output}");
        }

        process.WaitForExit();
        lock (lines)
        {
            return new Result(process.ExitCode, output.ToString());
        }
    }

    /// <summary>What a dotnet process returned.</summary>
    /// <param name="ExitCode">The exit code.</param>
    /// <param name="Output">Standard output and error, interleaved.</param>
    internal sealed record Result(int ExitCode, string Output);
}
