using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Internal;

namespace MLNetInference.Pipeline.Serialization.Internal;

/// <summary>
/// Where stock ML.NET keeps each stage of a model inside the zip, and a copy of the zip in which chosen stages are
/// replaced by an inert stock stage, so that stock loading does not build what our own loader rebuilds anyway.
/// </summary>
/// <remarks>
/// <c>mlContext.Model.Save</c> writes the model under <c>TransformerChain/</c>; a transformer chain writes its
/// <c>i</c>-th stage under <c>Transform_{i:000}/</c> of its own folder, chains nested in chains included, and every
/// stage folder holds a <c>Model.key</c>. A stage's folder is therefore known from the model's shape alone.
/// </remarks>
internal static class StockModelLayout
{
    /// <summary>The folder under which <c>mlContext.Model.Save</c> writes the model.</summary>
    public const string RootFolder = "TransformerChain";

    private const string ModelKey = "Model.key";
    private const string PlaceholderColumn = "MLNetInference.Placeholder";

    private static readonly Lazy<(string Name, byte[] Content)[]> s_placeholder = new(CreatePlaceholder);

    /// <summary>Gets the folder of a chain's <paramref name="index"/>-th stage.</summary>
    /// <param name="chainFolder">The chain's folder.</param>
    /// <param name="index">The stage's index in the chain.</param>
    /// <returns>The stage's folder, without a trailing '/'.</returns>
    public static string StageFolder(string chainFolder, int index) => $"{chainFolder}/Transform_{index:000}";

    /// <summary>Tells whether the zip holds a stage in <paramref name="folder"/>.</summary>
    /// <param name="archive">The model zip.</param>
    /// <param name="folder">The stage's folder.</param>
    /// <returns><see langword="true"/> when the folder has a <c>Model.key</c>.</returns>
    public static bool HasStage(ZipArchive archive, string folder) => FindEntry(archive, $"{folder}/{ModelKey}") is not null;

    /// <summary>
    /// Lists the folders of the leaf stages of the model in the zip, depth-first, reading chains from the folder names
    /// (a folder with a <c>Transform_000</c> stage is a chain). Used for zips whose manifest does not name the folders.
    /// </summary>
    /// <param name="archive">The model zip.</param>
    /// <returns>The leaf folders in the order the stages run.</returns>
    public static List<string> LeafFolders(ZipArchive archive)
    {
        var names = new HashSet<string>(archive.Entries.Select(e => Normalize(e.FullName)), StringComparer.Ordinal);
        var leaves = new List<string>();
        AddLeaves(names, RootFolder, leaves);
        return leaves;
    }

    /// <summary>
    /// Copies the stock part of a model zip, leaving out every entry under <paramref name="excludedFolder"/> and putting
    /// an inert stock stage (an ML.NET column copy) in place of each stage in <paramref name="replacedStages"/>.
    /// </summary>
    /// <param name="archive">The model zip.</param>
    /// <param name="replacedStages">The folders of the stages to replace.</param>
    /// <param name="excludedFolder">A folder to leave out, ending with '/'.</param>
    /// <returns>The copy, positioned at its start; the caller disposes it.</returns>
    public static MemoryStream CopyWithPlaceholders(ZipArchive archive, IReadOnlyCollection<string> replacedStages, string excludedFolder)
    {
        var placeholder = s_placeholder.Value;
        var copy = new MemoryStream();
        using (var target = new ZipArchive(copy, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in archive.Entries)
            {
                var name = Normalize(entry.FullName);
                if (name.StartsWith(excludedFolder, StringComparison.Ordinal) || IsUnder(name, replacedStages))
                {
                    continue;
                }

                // PERF: the copy is read once, right away, so it is not compressed.
                using var from = entry.Open();
                using var to = target.CreateEntry(name, CompressionLevel.NoCompression).Open();
                from.CopyTo(to);
            }

            foreach (var folder in replacedStages)
            {
                foreach (var (name, content) in placeholder)
                {
                    using var to = target.CreateEntry($"{folder}/{name}", CompressionLevel.NoCompression).Open();
                    to.Write(content);
                }
            }
        }

        copy.Position = 0;
        return copy;
    }

    /// <summary>Tells whether a stage loaded from a copy made by <see cref="CopyWithPlaceholders"/> is a placeholder.</summary>
    /// <param name="stage">The loaded stage.</param>
    /// <returns><see langword="true"/> for the inert column copy that stands in for one of our stages.</returns>
    public static bool IsPlaceholder(ITransformer stage)
    {
        if (stage is not Microsoft.ML.Transforms.ColumnCopyingTransformer)
        {
            return false;
        }

        try
        {
            // Only a copy that reads the placeholder column binds to a schema that has nothing else.
            stage.GetOutputSchema(PlaceholderSchema());
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void AddLeaves(HashSet<string> names, string folder, List<string> leaves)
    {
        if (!names.Contains($"{StageFolder(folder, 0)}/{ModelKey}"))
        {
            leaves.Add(folder);
            return;
        }

        for (var i = 0; names.Contains($"{StageFolder(folder, i)}/{ModelKey}"); i++)
        {
            AddLeaves(names, StageFolder(folder, i), leaves);
        }
    }

    private static bool IsUnder(string name, IReadOnlyCollection<string> folders)
    {
        foreach (var folder in folders)
        {
            if (name.Length > folder.Length && name[folder.Length] == '/' && name.StartsWith(folder, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static ZipArchiveEntry? FindEntry(ZipArchive archive, string name)
    {
        return archive.GetEntry(name) ?? archive.GetEntry(name.Replace('/', '\\'));
    }

    private static string Normalize(string name) => name.Replace('\\', '/');

    private static DataViewSchema PlaceholderSchema()
    {
        var schema = new DataViewSchema.Builder();
        schema.AddColumn(PlaceholderColumn, TextDataViewType.Instance);
        return schema.ToSchema();
    }

    /// <summary>Saves an ML.NET column copy (a stock stage with no resources) and keeps its entries, relative to its folder.</summary>
    private static (string Name, byte[] Content)[] CreatePlaceholder()
    {
        var mlContext = new MLContext();
        var empty = new EmptyDataView(PlaceholderSchema());
        var copying = mlContext.Transforms.CopyColumns(PlaceholderColumn, PlaceholderColumn).Fit(empty);
        using var stream = new MemoryStream();
        mlContext.Model.Save(copying, empty.Schema, stream);
        stream.Position = 0;
        using var archive = new ZipArchive(stream, ZipArchiveMode.Read);
        var prefix = RootFolder + "/";
        var entries = new List<(string, byte[])>();
        foreach (var entry in archive.Entries)
        {
            var name = Normalize(entry.FullName);
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                using var from = entry.Open();
                using var content = new MemoryStream();
                from.CopyTo(content);
                entries.Add((name[prefix.Length..], content.ToArray()));
            }
        }

        if (!entries.Any(e => e.Item1 == ModelKey))
        {
            throw new InvalidOperationException($"ML.NET saved a column copy without '{prefix}{ModelKey}'; this version of MLNetInference does not know the layout of its model zips.");
        }

        return [.. entries];
    }
}
