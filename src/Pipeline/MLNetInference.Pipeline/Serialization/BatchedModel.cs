using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Scoring;
using MLNetInference.Pipeline.Serialization.Internal;

namespace MLNetInference.Pipeline.Serialization;

/// <summary>
/// Saves and loads ML.NET models that contain MLNetInference transformers. The zip is a normal ML.NET model
/// zip (stock <c>mlContext.Model.Load</c> reads it, with stock stand-ins for our stages) plus our own entries
/// under <c>MLNetInference/</c>, from which <see cref="Load(MLContext, string, out DataViewSchema)"/> rebuilds
/// the batched pipeline.
/// </summary>
/// <remarks>
/// Loading builds each ONNX Runtime session once: the stock stand-ins of our stages (an ML.NET
/// <c>OnnxTransformer</c> with its own session, for an ONNX scoring stage) are not loaded at all. Stock ML.NET
/// loads a copy of the zip's stock part in which each of our stages is an inert placeholder, and our stages are
/// rebuilt from our entries in their place.
/// </remarks>
public static class BatchedModel
{
    /// <summary>The folder of our entries inside the model zip.</summary>
    public const string EntryFolder = "MLNetInference/";

    private const string ManifestEntry = EntryFolder + "manifest.json";
    private const int FormatVersion = 1;

    private static readonly Dictionary<string, Func<MLContext, ZipArchive, string, BatchedModelLoadOptions?, ITransformer>> Loaders = new(StringComparer.Ordinal)
    {
        [OnnxBatchScoringTransformer.Kind] = (context, archive, prefix, overrides) => OnnxBatchScoringTransformer.LoadState(context, archive, prefix, overrides),
        ["BertTokenization"] = (context, archive, prefix, _) => Text.BertTokenizationTransformer.LoadState(context, archive, prefix),
        ["MeanPooling"] = (context, archive, prefix, _) => Pooling.MeanPoolingTransformer.LoadState(context, archive, prefix),
    };

    /// <summary>Saves a model: the stock ML.NET entries, then our own.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="model">The fitted model: one transformer or a chain.</param>
    /// <param name="inputSchema">The schema of the data the model takes.</param>
    /// <param name="path">The zip file to write.</param>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, string path)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        Save(mlContext, model, inputSchema, stream);
    }

    /// <summary>Saves a model to a stream, which must be readable, writable and seekable.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="model">The fitted model: one transformer or a chain.</param>
    /// <param name="inputSchema">The schema of the data the model takes.</param>
    /// <param name="stream">The destination; left open.</param>
    public static void Save(MLContext mlContext, ITransformer model, DataViewSchema inputSchema, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanWrite || !stream.CanSeek)
        {
            throw new ArgumentException("The stream must be readable, writable and seekable, to add our entries to the zip.", nameof(stream));
        }

        var start = stream.Position;
        mlContext.Model.Save(model, inputSchema, stream);
        stream.Position = start;

        var leaves = new List<ITransformer>();
        var folders = new List<string>();
        Flatten(model, leaves, folders, StockModelLayout.RootFolder);
        var manifest = new Manifest { Format = FormatVersion, LeafCount = leaves.Count };
        using var archive = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true);
        for (var i = 0; i < leaves.Count; i++)
        {
            if (leaves[i] is IPersistableTransformer persistable)
            {
                var prefix = $"{EntryFolder}stage{i}/";
                persistable.WriteState(archive, prefix);
                manifest.Stages.Add(new Stage
                {
                    Index = i,
                    Kind = persistable.PersistKind,
                    Prefix = prefix,
                    StockFolder = StockModelLayout.HasStage(archive, folders[i]) ? folders[i] : null,
                });
            }
        }

        var entry = archive.CreateEntry(ManifestEntry, CompressionLevel.Fastest);
        using var writer = entry.Open();
        JsonSerializer.Serialize(writer, manifest);
    }

    /// <summary>
    /// Loads a model saved by <see cref="Save(MLContext, ITransformer, DataViewSchema, string)"/>, with our
    /// stages rebuilt as batched transformers. A zip without our entries loads as stock ML.NET loads it.
    /// </summary>
    /// <param name="mlContext">The ML.NET context; our assembly is registered in its component catalog.</param>
    /// <param name="path">The zip file.</param>
    /// <param name="inputSchema">The schema of the data the model takes.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">Our entries are inconsistent with the stock ones.</exception>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
        => Load(mlContext, path, out inputSchema, null);

    /// <summary>Loads a model saved by <see cref="Save(MLContext, ITransformer, DataViewSchema, string)"/>, overriding saved session settings.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="path">The zip file.</param>
    /// <param name="inputSchema">The schema of the data the model takes.</param>
    /// <param name="options">What to override; nothing when <see langword="null"/>.</param>
    /// <returns>The model.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Our entries are inconsistent with the stock ones.</exception>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema, BatchedModelLoadOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The model zip '{path}' does not exist.", path);
        }

        using var stream = File.OpenRead(path);
        return Load(mlContext, stream, out inputSchema, options);
    }

    /// <summary>Loads a model from a seekable stream; see <see cref="Load(MLContext, string, out DataViewSchema)"/>.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="stream">The zip; left open.</param>
    /// <param name="inputSchema">The schema of the data the model takes.</param>
    /// <returns>The model.</returns>
    public static ITransformer Load(MLContext mlContext, Stream stream, out DataViewSchema inputSchema)
        => Load(mlContext, stream, out inputSchema, null);

    /// <summary>Loads a model from a seekable stream, overriding saved session settings.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="stream">The zip; left open.</param>
    /// <param name="inputSchema">The schema of the data the model takes.</param>
    /// <param name="options">What to override; nothing when <see langword="null"/>.</param>
    /// <returns>The model.</returns>
    public static ITransformer Load(MLContext mlContext, Stream stream, out DataViewSchema inputSchema, BatchedModelLoadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable.", nameof(stream));
        }

        RegisterComponents(mlContext);
        var start = stream.Position;
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true))
        {
            if (ReadManifest(archive) is { Stages.Count: > 0 } manifest)
            {
                return LoadWithOurStages(mlContext, archive, manifest, out inputSchema, options);
            }
        }

        // A stock zip, or one without stages of ours: stock ML.NET loads all of it.
        stream.Position = start;
        return mlContext.Model.Load(stream, out inputSchema);
    }

    /// <summary>Registers the stock stand-ins of our stages (CustomMapping factories) with a context, so stock loading finds them.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    public static void RegisterComponents(MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        mlContext.ComponentCatalog.RegisterAssembly(typeof(BatchedModel).Assembly);
    }

    private static Manifest? ReadManifest(ZipArchive archive)
    {
        var entry = archive.GetEntry(ManifestEntry);
        if (entry is null)
        {
            return null;
        }

        Manifest manifest;
        using (var reader = entry.Open())
        {
            manifest = JsonSerializer.Deserialize<Manifest>(reader) ?? throw new InvalidDataException("The MLNetInference manifest in the model zip is empty.");
        }

        if (manifest.Format > FormatVersion)
        {
            throw new InvalidDataException($"The model zip was written by a newer MLNetInference (format {manifest.Format}); this version reads format {FormatVersion}.");
        }

        return manifest;
    }

    /// <summary>
    /// Loads the stock stages from a copy of the zip in which each of our stages is a placeholder, then rebuilds our
    /// stages from our entries in their place: every ONNX session is built once, and nothing built is left undisposed.
    /// </summary>
    private static ITransformer LoadWithOurStages(MLContext mlContext, ZipArchive archive, Manifest manifest, out DataViewSchema inputSchema, BatchedModelLoadOptions? options)
    {
        var folders = StockFolders(archive, manifest);
        ITransformer stock;
        using (var stockPart = StockModelLayout.CopyWithPlaceholders(archive, folders.Values, EntryFolder))
        {
            stock = mlContext.Model.Load(stockPart, out inputSchema);
        }

        var replacements = new Dictionary<int, ITransformer>();
        var stockLeaves = new List<ITransformer>();
        try
        {
            Flatten(stock, stockLeaves, null, string.Empty);
            if (stockLeaves.Count != manifest.LeafCount)
            {
                throw new InvalidDataException($"The model zip holds {stockLeaves.Count} stock stages but our manifest names {manifest.LeafCount}; the zip was changed after it was saved.");
            }

            foreach (var stage in manifest.Stages)
            {
                if (!StockModelLayout.IsPlaceholder(stockLeaves[stage.Index]))
                {
                    throw new InvalidDataException($"Stage {stage.Index} of the model zip is a stock {stockLeaves[stage.Index].GetType().Name} where our manifest has a '{stage.Kind}' stage; the zip was changed after it was saved.");
                }

                if (!Loaders.TryGetValue(stage.Kind, out var load))
                {
                    throw new InvalidDataException($"Stage {stage.Index} of the model zip is of kind '{stage.Kind}', which this version of MLNetInference cannot load.");
                }

                replacements[stage.Index] = load(mlContext, archive, stage.Prefix, options);
            }
        }
        catch
        {
            foreach (var replacement in replacements.Values)
            {
                (replacement as IDisposable)?.Dispose();
            }

            DisposeModel(stock);
            throw;
        }

        var index = 0;
        var model = Rebuild(stock, replacements, ref index);
        foreach (var replaced in replacements.Keys)
        {
            // The placeholders hold nothing, but whatever stock stage is replaced must not outlive the load undisposed.
            (stockLeaves[replaced] as IDisposable)?.Dispose();
        }

        return model;
    }

    /// <summary>Gets the folder of each of our stages inside the stock part of the zip, by stage index.</summary>
    private static Dictionary<int, string> StockFolders(ZipArchive archive, Manifest manifest)
    {
        List<string>? derived = null;
        var folders = new Dictionary<int, string>();
        foreach (var stage in manifest.Stages)
        {
            if (stage.Index < 0 || stage.Index >= manifest.LeafCount)
            {
                throw new InvalidDataException($"Our manifest names stage {stage.Index}, but the model has {manifest.LeafCount} stages.");
            }

            string folder;
            if (stage.StockFolder is { Length: > 0 } saved)
            {
                folder = saved;
            }
            else
            {
                // Zips saved before the manifest named the folders: read the chain from the folder names.
                derived ??= StockModelLayout.LeafFolders(archive);
                if (derived.Count != manifest.LeafCount)
                {
                    throw new InvalidDataException($"The model zip holds {derived.Count} stock stages but our manifest names {manifest.LeafCount}; the zip was changed after it was saved.");
                }

                folder = derived[stage.Index];
            }

            if (!StockModelLayout.HasStage(archive, folder))
            {
                throw new InvalidDataException($"The model zip has no stock stage in '{folder}', where our manifest puts stage {stage.Index}; the zip was changed after it was saved.");
            }

            folders[stage.Index] = folder;
        }

        return folders;
    }

    private static bool IsChain(ITransformer transformer, out IEnumerable<ITransformer> stages)
    {
        var type = transformer.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(TransformerChain<>) && transformer is IEnumerable<ITransformer> enumerable)
        {
            stages = enumerable;
            return true;
        }

        stages = [];
        return false;
    }

    /// <summary>
    /// Releases the native resources (ONNX Runtime sessions) held by a model's stages, chains included. Call it when a
    /// fitted or loaded model is no longer used; the model must not be used afterwards.
    /// </summary>
    /// <param name="model">The model: one transformer or a chain.</param>
    public static void DisposeModel(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var stage in GetStages(model))
        {
            (stage as IDisposable)?.Dispose();
        }
    }

    /// <summary>Lists the stages of a model, with transformer chains flattened depth-first.</summary>
    /// <param name="model">A transformer or a chain of them.</param>
    /// <returns>The stages in the order they run.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    public static IReadOnlyList<ITransformer> GetStages(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var leaves = new List<ITransformer>();
        Flatten(model, leaves, null, string.Empty);
        return leaves;
    }

    /// <summary>Lists the leaf stages depth-first and, when <paramref name="folders"/> is given, the zip folder where stock ML.NET saves each.</summary>
    private static void Flatten(ITransformer transformer, List<ITransformer> leaves, List<string>? folders, string folder)
    {
        if (IsChain(transformer, out var stages))
        {
            var i = 0;
            foreach (var stage in stages)
            {
                Flatten(stage, leaves, folders, StockModelLayout.StageFolder(folder, i++));
            }
        }
        else
        {
            leaves.Add(transformer);
            folders?.Add(folder);
        }
    }

    private static ITransformer Rebuild(ITransformer transformer, Dictionary<int, ITransformer> replacements, ref int index)
    {
        if (IsChain(transformer, out var stages))
        {
            var rebuilt = new List<ITransformer>();
            foreach (var stage in stages)
            {
                rebuilt.Add(Rebuild(stage, replacements, ref index));
            }

            return new TransformerChain<ITransformer>([.. rebuilt]);
        }

        return replacements.TryGetValue(index++, out var replacement) ? replacement : transformer;
    }

    private sealed class Manifest
    {
        public int Format { get; set; }

        public int LeafCount { get; set; }

        public List<Stage> Stages { get; set; } = [];
    }

    private sealed class Stage
    {
        public int Index { get; set; }

        public string Kind { get; set; } = string.Empty;

        public string Prefix { get; set; } = string.Empty;

        /// <summary>Gets or sets the folder of the stage's stock stand-in in the zip; absent in zips saved by earlier versions.</summary>
        public string? StockFolder { get; set; }
    }
}
