using MLNetInference.Tests.Shared;
using System.Xml.Linq;

namespace MLNetInference.Consumer.Tests.Internal;

/// <summary>
/// The repository packed into a folder feed under the temporary folder, outside the repository, with a version of its
/// own (<c>0.9.0-consumer.TIMESTAMP</c>): the packages keep one version from build to build, so a fixed version could
/// be served stale from NuGet's global packages folder. The pack uses an artifacts folder there too, so it never
/// touches the repository's own bin/ and obj/ while other test projects run from them.
/// </summary>
internal sealed class ConsumerFeed
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static ConsumerFeed? s_instance;

    private ConsumerFeed(string repositoryRoot, string workDirectory, string feedDirectory, IReadOnlyDictionary<string, PackedPackage> packages, string version)
    {
        RepositoryRoot = repositoryRoot;
        WorkDirectory = workDirectory;
        FeedDirectory = feedDirectory;
        Packages = packages;
        Version = version;
    }

    /// <summary>The folder that holds MLNetInference.sln.</summary>
    public string RepositoryRoot { get; }

    /// <summary>A fresh folder under the temporary folder for this run's apps, tools and outputs.</summary>
    public string WorkDirectory { get; }

    /// <summary>The folder feed.</summary>
    public string FeedDirectory { get; }

    /// <summary>The packages in the feed by id.</summary>
    public IReadOnlyDictionary<string, PackedPackage> Packages { get; }

    /// <summary>The one version of all packages in the feed.</summary>
    public string Version { get; }

    /// <summary>Packs the repository once per test run and returns the feed.</summary>
    public static async Task<ConsumerFeed> GetAsync(CancellationToken cancellationToken)
    {
        await s_gate.WaitAsync(cancellationToken);
        try
        {
            return s_instance ??= await CreateAsync(cancellationToken);
        }
        finally
        {
            s_gate.Release();
        }
    }

    /// <summary>Deletes the work folder and this run's packages from NuGet's global packages folder.</summary>
    public static async Task CleanUpAsync()
    {
        if (s_instance is not { } feed)
        {
            return;
        }

        var locals = await ChildProcess.DotnetAsync(feed.WorkDirectory, ["nuget", "locals", "global-packages", "--list"], CancellationToken.None);
        var globalPackages = locals.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("global-packages:", StringComparison.Ordinal))?["global-packages:".Length..].Trim();
        if (!string.IsNullOrEmpty(globalPackages))
        {
            foreach (var id in feed.Packages.Keys)
            {
                var idFolder = Path.Combine(globalPackages, id.ToLowerInvariant());
                var folder = Path.Combine(idFolder, feed.Version.ToLowerInvariant());
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }

                if (Directory.Exists(idFolder) && !Directory.EnumerateFileSystemEntries(idFolder).Any())
                {
                    Directory.Delete(idFolder);
                }
            }
        }

        try
        {
            Directory.Delete(feed.WorkDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A child process may still hold a file for a moment; the temporary folder is cleaned by the system.
        }
    }

    /// <summary>The folder that holds MLNetInference.sln, above the test assembly.</summary>
    public static string FindRepositoryRoot()
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

    /// <summary>The version the repository's Directory.Packages.props sets for a package, or <see langword="null"/>.</summary>
    public string? CentralVersion(string packageId)
        => XDocument.Load(Path.Combine(RepositoryRoot, "Directory.Packages.props"))
            .Descendants("PackageVersion")
            .FirstOrDefault(p => string.Equals((string?)p.Attribute("Include"), packageId, StringComparison.OrdinalIgnoreCase))
            ?.Attribute("Version")?.Value;

    private static async Task<ConsumerFeed> CreateAsync(CancellationToken cancellationToken)
    {
        var root = FindRepositoryRoot();
        var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        var work = Path.Combine(Path.GetTempPath(), $"mlnetinference-consumer-{stamp}-{Environment.ProcessId}");
        Assert.IsFalse(
            IsUnder(work, root),
            $"The temporary folder {work} is inside the repository {root}, whose Directory.Build.props and Directory.Packages.props would apply to the apps.");
        var feed = Path.Combine(work, "feed");
        Directory.CreateDirectory(feed);

        var suffix = $"consumer.{stamp}";
        (await ChildProcess.DotnetAsync(
            root,
            [
                "pack", Path.Combine(root, "MLNetInference.sln"), "-c", "Release", "-o", feed,
                $"-p:VersionSuffix={suffix}", "-p:UseArtifactsOutput=true", $"-p:ArtifactsPath={Path.Combine(work, "artifacts")}{Path.DirectorySeparatorChar}",
            ],
            cancellationToken)).EnsureSuccess();

        var packages = new Dictionary<string, PackedPackage>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in Directory.GetFiles(feed, "*.nupkg"))
        {
            var package = PackedPackage.Read(file);
            Assert.IsFalse(packages.ContainsKey(package.Id), $"Two packages named {package.Id} in {feed}.");
            packages[package.Id] = package;
        }

        Assert.IsNotEmpty(packages, $"dotnet pack wrote no package into {feed}.");
        var versions = packages.Values.Select(p => p.Version).Distinct().ToList();
        Assert.HasCount(1, versions, $"The packages have different versions: {string.Join(", ", versions)}.");
        Assert.EndsWith($"-{suffix}", versions[0], "VersionSuffix must reach every package's version.");
        return new ConsumerFeed(root, work, feed, packages, versions[0]);
    }

    private static bool IsUnder(string path, string folder)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(folder), Path.GetFullPath(path));
        return relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }
}
