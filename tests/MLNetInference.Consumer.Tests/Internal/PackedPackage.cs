using System.IO.Compression;
using System.Xml.Linq;

namespace MLNetInference.Consumer.Tests.Internal;

/// <summary>One .nupkg of the feed and what its .nuspec says.</summary>
/// <param name="Path">The .nupkg file.</param>
/// <param name="Id">The package id.</param>
/// <param name="Version">The package version.</param>
/// <param name="Nuspec">The .nuspec document.</param>
/// <param name="Entries">The paths inside the package.</param>
internal sealed record PackedPackage(string Path, string Id, string Version, XDocument Nuspec, IReadOnlyList<string> Entries)
{
    /// <summary>Reads a .nupkg.</summary>
    public static PackedPackage Read(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var nuspecEntry = zip.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
        XDocument nuspec;
        using (var stream = nuspecEntry.Open())
        {
            nuspec = XDocument.Load(stream);
        }

        var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Value(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
        return new PackedPackage(path, Value("id"), Value("version"), nuspec, [.. zip.Entries.Select(e => e.FullName)]);
    }

    /// <summary>The text of a metadata element, or <see langword="null"/>.</summary>
    public string? Metadata(string name)
        => Nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata").Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    /// <summary>The package's dependencies: id and version range.</summary>
    public IReadOnlyList<(string Id, string Version)> Dependencies
        => [.. Nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => ((string)e.Attribute("id")!, (string)e.Attribute("version")!))];
}
