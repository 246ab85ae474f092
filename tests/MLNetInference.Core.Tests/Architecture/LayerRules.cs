using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace MLNetInference.Core.Tests.Architecture;

/// <summary>What the layer rules need to know about one project.</summary>
/// <param name="Name">The project's name: its file name without <c>.csproj</c>.</param>
/// <param name="Path">The project file, relative to the repository root, with forward slashes.</param>
/// <param name="References">The projects it references, relative to the repository root, with forward slashes.</param>
/// <param name="InternalsVisibleTo">The assemblies it grants <c>InternalsVisibleTo</c>, from the project file and from source.</param>
/// <param name="RootNamespace">Its <c>RootNamespace</c> property, or <see langword="null"/> when it states none.</param>
/// <param name="Namespaces">Each <c>namespace</c> declared in its sources, with the file that declares it.</param>
internal sealed record ProjectFacts(
    string Name,
    string Path,
    IReadOnlyList<string> References,
    IReadOnlyList<string> InternalsVisibleTo,
    string? RootNamespace,
    IReadOnlyList<(string File, string Namespace)> Namespaces);

/// <summary>
/// The layer rule of docs/architecture.md, as code: reads the shipped projects (every project under <c>src/</c> but
/// <c>src/Samples</c>) and lists what breaks the rule.
/// </summary>
internal static partial class LayerRules
{
    /// <summary>The layer folders under <c>src/</c>, bottom to top, as docs/architecture.md draws them.</summary>
    public static readonly IReadOnlyList<string> Layers = ["Core", "Optimizers", "Pipeline", "Serving", "Tuning", "Tools"];

    /// <summary>The folder under <c>src/</c> whose projects are samples, not shipped.</summary>
    public const string SamplesFolder = "Samples";

    /// <summary>The one project besides a package's own test projects that may see its internals.</summary>
    public const string BenchmarkProject = "MLNetInference.Benchmarks";

    /// <summary>Namespaces that extension classes use by their host's convention (ML.NET catalogs, DI registration).</summary>
    public static readonly IReadOnlyList<string> ConventionNamespaces = ["Microsoft.ML", "Microsoft.Extensions.DependencyInjection"];

    private const string SolutionFile = "MLNetInference.sln";

    /// <summary>Finds the repository root: the nearest folder above the test's binaries (or the current folder) holding the solution.</summary>
    /// <returns>The root's full path.</returns>
    public static string FindRepoRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, SolutionFile)))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException($"No folder above '{AppContext.BaseDirectory}' or '{Directory.GetCurrentDirectory()}' holds {SolutionFile}.");
    }

    /// <summary>Reads every shipped project: each <c>*.csproj</c> under <c>src/</c>, outside <c>src/Samples</c>.</summary>
    /// <param name="root">The repository root.</param>
    /// <returns>The projects, ordered by path.</returns>
    public static IReadOnlyList<ProjectFacts> ReadShippedProjects(string root)
    {
        var src = System.IO.Path.Combine(root, "src");
        return [.. Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories)
            .Where(path => !IsBuildOutput(path))
            .Select(path => (Full: path, Relative: Relative(root, path)))
            .Where(p => !p.Relative.StartsWith($"src/{SamplesFolder}/", StringComparison.Ordinal))
            .OrderBy(p => p.Relative, StringComparer.Ordinal)
            .Select(p => ReadProject(root, p.Relative, File.ReadAllText(p.Full), SourcesOf(p.Full)))];
    }

    /// <summary>Reads one project from its file's text and its sources' texts.</summary>
    /// <param name="root">The repository root, to resolve references against.</param>
    /// <param name="path">The project file, relative to <paramref name="root"/>.</param>
    /// <param name="projectXml">The project file's text.</param>
    /// <param name="sources">Its source files: path (for messages) and text.</param>
    /// <returns>The facts the rules check.</returns>
    public static ProjectFacts ReadProject(string root, string path, string projectXml, IEnumerable<(string File, string Text)> sources)
    {
        path = path.Replace('\\', '/');
        var name = System.IO.Path.GetFileNameWithoutExtension(path);
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.Combine(root, path))!;
        var xml = XDocument.Parse(projectXml);
        var items = xml.Descendants().Where(e => e.Parent?.Name.LocalName == "ItemGroup").ToList();
        var references = items
            .Where(e => e.Name.LocalName == "ProjectReference")
            .Select(e => ResolveReference(root, directory, (string?)e.Attribute("Include") ?? string.Empty))
            .ToList();
        var sourceList = sources.ToList();
        var internalsVisibleTo = items
            .Where(e => e.Name.LocalName == "InternalsVisibleTo")
            .Select(e => (string?)e.Attribute("Include") ?? string.Empty)
            .Concat(sourceList.SelectMany(s => AssemblyInternalsVisibleTo().Matches(s.Text).Select(m => m.Groups[1].Value.Trim())))
            .ToList();
        var rootNamespace = xml.Descendants().LastOrDefault(e => e.Name.LocalName == "RootNamespace" && e.Parent?.Name.LocalName == "PropertyGroup")?.Value.Trim();
        var namespaces = sourceList
            .SelectMany(s => NamespaceDeclaration().Matches(s.Text).Select(m => (s.File, m.Groups[1].Value)))
            .ToList();
        return new ProjectFacts(name, path, references, internalsVisibleTo, rootNamespace, namespaces);
    }

    /// <summary>Checks shipped projects against the layer rule.</summary>
    /// <param name="projects">The shipped projects (paths under <c>src/</c>).</param>
    /// <param name="layers">The layer folders, bottom to top; <see cref="Layers"/> by default.</param>
    /// <returns>One line per violation; empty when the rule holds.</returns>
    public static IReadOnlyList<string> Check(IEnumerable<ProjectFacts> projects, IReadOnlyList<string>? layers = null)
    {
        layers ??= Layers;
        var violations = new List<string>();
        foreach (var project in projects)
        {
            var layer = LayerOf(project.Path);
            var rank = IndexOf(layers, layer);
            if (rank < 0)
            {
                violations.Add($"{project.Name} ({project.Path}) is in '{layer}', which is no layer; layers are src/{string.Join(", src/", layers)}. Add the layer to docs/architecture.md and {nameof(LayerRules)}.{nameof(Layers)}.");
                continue;
            }

            foreach (var reference in project.References)
            {
                var target = System.IO.Path.GetFileNameWithoutExtension(reference);
                var targetLayer = LayerOf(reference);
                var targetRank = IndexOf(layers, targetLayer);
                if (targetRank < 0)
                {
                    violations.Add($"{project.Name} ({layer}) references {target} ({reference}), which is not shipped; a shipped project references only layers below its own.");
                }
                else if (targetRank > rank)
                {
                    violations.Add($"{project.Name} ({layer}) references {target} ({targetLayer}), a layer above its own; it may reference only {Below(layers, rank)}.");
                }
            }

            foreach (var friend in project.InternalsVisibleTo)
            {
                var ownTests = friend.StartsWith(project.Name + ".", StringComparison.Ordinal) && friend.EndsWith(".Tests", StringComparison.Ordinal);
                if (!ownTests && friend != BenchmarkProject)
                {
                    violations.Add($"{project.Name} grants InternalsVisibleTo to '{friend}'; only its own test projects ({project.Name}.Tests) and {BenchmarkProject} may see its internals.");
                }
            }

            if (project.RootNamespace != project.Name)
            {
                violations.Add($"{project.Name}'s RootNamespace is '{project.RootNamespace ?? "(not stated)"}'; it must be the project's name.");
            }

            foreach (var (file, ns) in project.Namespaces)
            {
                var own = ns == project.Name || ns.StartsWith(project.Name + ".", StringComparison.Ordinal);
                if (!own && !ConventionNamespaces.Contains(ns))
                {
                    violations.Add($"{file} declares namespace '{ns}'; {project.Name}'s namespaces start with '{project.Name}' (or are {string.Join(" / ", ConventionNamespaces)}).");
                }
            }
        }

        return violations;
    }

    /// <summary>Reads the layer order from docs/architecture.md: the first line of the form <c>A &lt; B &lt; C</c>.</summary>
    /// <param name="markdown">The document's text.</param>
    /// <returns>The layers, bottom to top, or an empty list when the document draws none.</returns>
    public static IReadOnlyList<string> ReadLayerOrder(string markdown)
    {
        var line = markdown.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => LayerOrderLine().IsMatch(l));
        return line is null ? [] : [.. line.Split('<').Select(part => part.Trim())];
    }

    /// <summary>The layer of a repository-relative path: the folder under <c>src/</c>, or the top folder elsewhere.</summary>
    /// <param name="path">A path relative to the repository root.</param>
    /// <returns>The folder's name, e.g. <c>Core</c>, <c>Samples</c>, <c>models</c> or <c>tests</c>.</returns>
    public static string LayerOf(string path)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 2 && parts[0] == "src" ? parts[1] : parts.Length > 0 ? parts[0] : string.Empty;
    }

    private static string ResolveReference(string root, string projectDirectory, string include)
    {
        var expanded = include
            .Replace("$(RepoRoot)", root + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal)
            .Replace("$(MSBuildThisFileDirectory)", projectDirectory + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal)
            .Replace("$(MSBuildProjectDirectory)", projectDirectory, StringComparison.Ordinal)
            .Replace('\\', System.IO.Path.DirectorySeparatorChar)
            .Replace('/', System.IO.Path.DirectorySeparatorChar);
        if (expanded.Contains("$(", StringComparison.Ordinal))
        {
            // An unresolved property: keep it visible, so the check reports it as a reference out of the layers.
            return include.Replace('\\', '/');
        }

        return Relative(root, System.IO.Path.GetFullPath(System.IO.Path.Combine(projectDirectory, expanded)));
    }

    private static IEnumerable<(string File, string Text)> SourcesOf(string projectPath)
    {
        var directory = System.IO.Path.GetDirectoryName(projectPath)!;
        return Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(file => !IsBuildOutput(System.IO.Path.GetRelativePath(directory, file)))
            .Order(StringComparer.Ordinal)
            .Select(file => (file, File.ReadAllText(file)));
    }

    private static bool IsBuildOutput(string path)
    {
        var parts = path.Replace('\\', '/').Split('/');
        return parts.Contains("bin") || parts.Contains("obj");
    }

    private static string Relative(string root, string path) => System.IO.Path.GetRelativePath(root, path).Replace('\\', '/');

    private static int IndexOf(IReadOnlyList<string> layers, string layer)
    {
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] == layer)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Below(IReadOnlyList<string> layers, int rank) =>
        rank == 0 ? "its own layer" : $"{string.Join(", ", layers.Take(rank))} and its own layer";

    [GeneratedRegex(@"^\s*namespace\s+([A-Za-z_][\w.]*)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"\[\s*assembly\s*:\s*(?:System\.Runtime\.CompilerServices\.)?InternalsVisibleTo(?:Attribute)?\s*\(\s*""([^"",]+)")]
    private static partial Regex AssemblyInternalsVisibleTo();

    [GeneratedRegex(@"^[A-Z]\w*(\s*<\s*[A-Z]\w*)+$")]
    private static partial Regex LayerOrderLine();
}
