using MLNetInference.Tests.Shared;
using System.Security;

namespace MLNetInference.Consumer.Tests.Internal;

/// <summary>
/// A fresh <c>dotnet new console</c> app in the feed's work folder, set up as the README says: a NuGet.config naming the
/// feed and nuget.org, the README's <c>dotnet add package</c> lines (our packages at the feed's version, others at the
/// repository's central version), and one of the README's programs as Program.cs.
/// </summary>
internal static class ConsumerApp
{
    /// <summary>Creates the app for the README's code block <paramref name="snippet"/>, builds it and runs it with the arguments.</summary>
    /// <returns>The run's result; the caller checks the exit code and output.</returns>
    public static async Task<ChildProcess.Result> RunReadmeProgramAsync(ConsumerFeed feed, string snippet, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var readme = Path.Combine(feed.RepositoryRoot, "README.md");
        var program = ReadmeSnippets.Get(readme, snippet);
        var packageIds = ReadmeSnippets.PackageIds(ReadmeSnippets.Get(readme, "packages"));
        Assert.IsNotEmpty(packageIds, "README.md's consumer:packages block has no 'dotnet add package' line.");

        var app = Path.Combine(feed.WorkDirectory, $"app-{snippet}");
        (await ChildProcess.DotnetAsync(feed.WorkDirectory, ["new", "console", "-o", app, "-n", "ConsumerApp"], cancellationToken)).EnsureSuccess();
        await WriteNuGetConfigAsync(app, feed.FeedDirectory, cancellationToken);
        foreach (var id in packageIds)
        {
            string? version = id.StartsWith("MLNetInference.", StringComparison.OrdinalIgnoreCase) ? feed.Version : feed.CentralVersion(id);
            if (version is null)
            {
                (await ChildProcess.DotnetAsync(app, ["add", "package", id], cancellationToken)).EnsureSuccess();
            }
            else
            {
                (await ChildProcess.DotnetAsync(app, ["add", "package", id, "--version", version, "--no-restore"], cancellationToken)).EnsureSuccess();
            }
        }

        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), program, cancellationToken);
        (await ChildProcess.DotnetAsync(app, ["build", "-c", "Release"], cancellationToken)).EnsureSuccess();
        return await ChildProcess.DotnetAsync(app, ["run", "-c", "Release", "--no-build", "--", .. arguments], cancellationToken);
    }

    /// <summary>Writes a NuGet.config that names only the feed and nuget.org.</summary>
    public static Task WriteNuGetConfigAsync(string folder, string feedDirectory, CancellationToken cancellationToken)
        => File.WriteAllTextAsync(
            Path.Combine(folder, "NuGet.config"),
            $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="consumer-feed" value="{SecurityElement.Escape(feedDirectory)}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """,
            cancellationToken);
}
