using System.Diagnostics;
using System.Text;

namespace MLNetInference.Tests.Shared;

/// <summary>
/// Runs dotnet, or a program it installed, as a child process with a hang guard, the way a user's shell would. Compiled
/// into each test project that starts processes (the consumer and sample tests).
/// </summary>
internal static class ChildProcess
{
    /// <summary>Long enough for a cold restore or a slow machine; only a hang reaches it.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(15);

    /// <summary>The dotnet host that runs these tests, so children use the same SDK installation.</summary>
    public static string DotnetHost { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs <c>dotnet</c> with the arguments; <paramref name="hangGuard"/> defaults to <see cref="HangGuard"/>.</summary>
    public static Task<Result> DotnetAsync(string workingDirectory, IEnumerable<string> arguments, CancellationToken cancellationToken, TimeSpan? hangGuard = null)
        => RunAsync(DotnetHost, workingDirectory, arguments, cancellationToken, hangGuard);

    /// <summary>Runs a program with the arguments and returns its exit code and output; fails the test when it hangs.</summary>
    public static async Task<Result> RunAsync(string fileName, string workingDirectory, IEnumerable<string> arguments, CancellationToken cancellationToken, TimeSpan? hangGuard = null)
    {
        var limit = hangGuard ?? HangGuard;
        var start = new ProcessStartInfo(fileName)
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

        // The test host runs under `dotnet test`, whose MSBuild settings must not leak into the user's commands.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        if (Path.IsPathRooted(DotnetHost))
        {
            // An installed tool's launcher finds the runtime through DOTNET_ROOT.
            start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(new FileInfo(DotnetHost).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? DotnetHost);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start.");
        process.StandardInput.Close();
        var output = new StringBuilder();
        var gate = new object();
        process.OutputDataReceived += (_, e) => { lock (gate) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (gate) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            lock (gate)
            {
                Assert.Fail($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish within {limit}:\n{output}");
            }
        }

        process.WaitForExit();
        lock (gate)
        {
            return new Result($"{Path.GetFileName(fileName)} {string.Join(' ', start.ArgumentList)}", process.ExitCode, output.ToString());
        }
    }

    /// <summary>What a child process returned.</summary>
    /// <param name="CommandLine">The command, for messages.</param>
    /// <param name="ExitCode">The exit code.</param>
    /// <param name="Output">Standard output and error, interleaved.</param>
    internal sealed record Result(string CommandLine, int ExitCode, string Output)
    {
        /// <summary>Fails the test unless the process exited with 0.</summary>
        /// <returns>This result.</returns>
        public Result EnsureSuccess()
        {
            Assert.AreEqual(0, ExitCode, $"`{CommandLine}` failed:\n{Output}");
            return this;
        }
    }
}
