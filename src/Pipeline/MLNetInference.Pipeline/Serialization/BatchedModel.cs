using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Scoring;

namespace MLNetInference.Pipeline.Serialization;

/// <summary>
/// Saves and loads ML.NET models that contain MLNetInference transformers. The zip is a normal ML.NET model
/// zip (stock <c>mlContext.Model.Load</c> reads it, with stock stand-ins for our stages) plus our own entries
/// under <c>MLNetInference/</c>, from which <see cref="Load(MLContext, string, out DataViewSchema)"/> rebuilds
/// the batched pipeline.
/// </summary>
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
        Flatten(model, leaves);
        var manifest = new Manifest { Format = FormatVersion, LeafCount = leaves.Count };
        using var archive = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true);
        for (var i = 0; i < leaves.Count; i++)
        {
            if (leaves[i] is IPersistableTransformer persistable)
            {
                var prefix = $"{EntryFolder}stage{i}/";
                persistable.WriteState(archive, prefix);
                manifest.Stages.Add(new Stage { Index = i, Kind = persistable.PersistKind, Prefix = prefix });
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
        var stock = mlContext.Model.Load(stream, out inputSchema);
        stream.Position = start;

        using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        var manifestEntry = archive.GetEntry(ManifestEntry);
        if (manifestEntry is null)
        {
            return stock;
        }

        Manifest manifest;
        using (var reader = manifestEntry.Open())
        {
            manifest = JsonSerializer.Deserialize<Manifest>(reader) ?? throw new InvalidDataException("The MLNetInference manifest in the model zip is empty.");
        }

        if (manifest.Format > FormatVersion)
        {
            throw new InvalidDataException($"The model zip was written by a newer MLNetInference (format {manifest.Format}); this version reads format {FormatVersion}.");
        }

        var stockLeaves = new List<ITransformer>();
        Flatten(stock, stockLeaves);
        if (stockLeaves.Count != manifest.LeafCount)
        {
            throw new InvalidDataException($"The model zip holds {stockLeaves.Count} stock stages but our manifest names {manifest.LeafCount}; the zip was changed after it was saved.");
        }

        var replacements = new Dictionary<int, ITransformer>();
        foreach (var stage in manifest.Stages)
        {
            if (!Loaders.TryGetValue(stage.Kind, out var load))
            {
                throw new InvalidDataException($"Stage {stage.Index} of the model zip is of kind '{stage.Kind}', which this version of MLNetInference cannot load.");
            }

            replacements[stage.Index] = load(mlContext, archive, stage.Prefix, options);
        }

        var index = 0;
        return Rebuild(stock, replacements, ref index);
    }

    /// <summary>Registers the stock stand-ins of our stages (CustomMapping factories) with a context, so stock loading finds them.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    public static void RegisterComponents(MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        mlContext.ComponentCatalog.RegisterAssembly(typeof(BatchedModel).Assembly);
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
        Flatten(model, leaves);
        return leaves;
    }

    private static void Flatten(ITransformer transformer, List<ITransformer> leaves)
    {
        if (IsChain(transformer, out var stages))
        {
            foreach (var stage in stages)
            {
                Flatten(stage, leaves);
            }
        }
        else
        {
            leaves.Add(transformer);
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
    }
}
