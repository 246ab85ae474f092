using System.IO.Compression;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Internal;
using MLNetInference.Pipeline.Internal.RowMapping;
using MLNetInference.Core.Runtime;
using MLNetInference.Pipeline.Serialization;

namespace MLNetInference.Pipeline.Scoring;

/// <summary>
/// Scores an <see cref="IDataView"/> with an ONNX model in mini-batches, padding each batch only to its own
/// longest row. Produced by <see cref="OnnxBatchScoringEstimator"/>. Owns its ONNX Runtime session: dispose
/// the transformer when done.
/// </summary>
public sealed class OnnxBatchScoringTransformer : ITransformer, IPersistableTransformer, IDisposable
{
    internal const string Kind = "OnnxBatchScoring";

    private readonly MLContext _mlContext;
    private readonly OnnxBatchScoringOptions _options;
    private readonly OnnxModelSession _model;
    private readonly BatchRunner _runner;
    private readonly (string Output, string Column)[] _outputs;

    internal OnnxBatchScoringTransformer(MLContext mlContext, OnnxBatchScoringOptions options)
    {
        _mlContext = mlContext;
        _options = options;
        var factory = new OnnxSessionFactory(options.Logger);
        _model = options.ModelPath is { Length: > 0 } path
            ? factory.Create(path, options.Session)
            : factory.Create(options.ModelBytes!, options.Session, options.ModelName ?? "<in-memory model>");
        try
        {
            var outputs = new List<(string, string)>();
            if (options.OutputColumns.Count == 0)
            {
                foreach (var output in _model.Metadata.Outputs)
                {
                    outputs.Add((output.Name, output.Name));
                }
            }
            else
            {
                foreach (var pair in options.OutputColumns)
                {
                    if (_model.Metadata.FindOutput(pair.Key) is null)
                    {
                        throw new ArgumentException($"Model '{_model.ModelName}' has no output '{pair.Key}'. Its outputs are: {string.Join(", ", _model.Metadata.Outputs.Select(o => o.Name))}.", nameof(options));
                    }

                    outputs.Add((pair.Key, pair.Value));
                }
            }

            foreach (var input in options.InputColumns.Keys)
            {
                if (_model.Metadata.FindInput(input) is null)
                {
                    throw new ArgumentException($"Model '{_model.ModelName}' has no input '{input}'. Its inputs are: {string.Join(", ", _model.Metadata.Inputs.Select(i => i.Name))}.", nameof(options));
                }
            }

            _outputs = [.. outputs];
            var runnerOptions = new BatchRunnerOptions
            {
                MaxBatchSize = options.BatchSize,
                MaxSequenceLength = options.MaxSequenceLength,
                OutputNames = [.. _outputs.Select(o => o.Output)],
            };
            foreach (var pair in options.PadValues)
            {
                runnerOptions.PadValues[pair.Key] = pair.Value;
            }

            _runner = new BatchRunner(_model, runnerOptions);
        }
        catch
        {
            _model.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    /// <summary>Gets the loaded model: its metadata, execution provider and batch support.</summary>
    public OnnxModelSession Model => _model;

    /// <summary>Gets the report of the recipe applied at fit time (node counts, size, accuracy against the original), or <see langword="null"/>.</summary>
    public Optimizers.Recipes.OptimizationResult? Optimization { get; init; }

    /// <summary>Gets the batch runner this transformer scores through.</summary>
    public BatchRunner Runner => _runner;

    string IPersistableTransformer.PersistKind => Kind;

    /// <summary>Gets the column each model input reads, by input name; inputs not listed read the column of their own name.</summary>
    public IReadOnlyDictionary<string, string> InputColumns => _options.InputColumns.AsReadOnly();

    /// <summary>Gets the column each computed model output is written to, by output name.</summary>
    public IReadOnlyDictionary<string, string> OutputColumns => _outputs.ToDictionary(o => o.Output, o => o.Column).AsReadOnly();

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return Bind(inputSchema).OutputSchema;
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchScoringDataView(input, Bind(input.Schema), _runner, _options.EffectiveWindow);
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new MappedRowToRowMapper(new ScoringRowMapper(Bind(inputSchema), _runner));
    }

    /// <summary>
    /// Saves, for stock ML.NET loaders, an equivalent ML.NET <c>OnnxTransformer</c> (with the variable axis
    /// pinned, as stock ML.NET requires). Our own entries are added by <c>SaveWithBatching</c>.
    /// </summary>
    /// <param name="ctx">ML.NET's save context.</param>
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        StockEquivalent.SaveForOnnxScorer(ctx, _mlContext, _model, _options, _outputs, ModelBytes());
    }

    /// <inheritdoc/>
    public void Dispose() => _model.Dispose();

    void IPersistableTransformer.WriteState(ZipArchive archive, string prefix)
    {
        var state = new PersistedState
        {
            BatchSize = _options.BatchSize,
            LengthGroupingWindow = _options.LengthGroupingWindow,
            MaxSequenceLength = _options.MaxSequenceLength,
            StockSequenceLength = _options.StockSequenceLength,
            InputColumns = new Dictionary<string, string>(_options.InputColumns),
            OutputColumns = _outputs.ToDictionary(o => o.Output, o => o.Column),
            PadValues = new Dictionary<string, double>(_options.PadValues),
            IntraOpThreads = _options.Session.IntraOpThreads,
            InterOpThreads = _options.Session.InterOpThreads,
            ExecutionProvider = _options.Session.ExecutionProvider.ToString(),
            DeviceId = _options.Session.DeviceId,
        };
        var entry = archive.CreateEntry(prefix + "options.json", CompressionLevel.Fastest);
        using (var stream = entry.Open())
        {
            JsonSerializer.Serialize(stream, state);
        }

        var model = archive.CreateEntry(prefix + "model.onnx", CompressionLevel.Fastest);
        using (var stream = model.Open())
        {
            stream.Write(ModelBytes());
        }
    }

    internal static OnnxBatchScoringTransformer LoadState(MLContext mlContext, ZipArchive archive, string prefix, BatchedModelLoadOptions? overrides = null)
    {
        var optionsEntry = archive.GetEntry(prefix + "options.json") ?? throw new InvalidDataException($"The model zip lacks '{prefix}options.json'.");
        var modelEntry = archive.GetEntry(prefix + "model.onnx") ?? throw new InvalidDataException($"The model zip lacks '{prefix}model.onnx'.");
        PersistedState state;
        using (var stream = optionsEntry.Open())
        {
            state = JsonSerializer.Deserialize<PersistedState>(stream) ?? throw new InvalidDataException($"'{prefix}options.json' is empty.");
        }

        // PERF: the model is read straight into one array of its size; copying it through a growing MemoryStream
        // left about three times the model's size of large-object garbage behind on every (re)load.
        var bytes = new byte[modelEntry.Length];
        try
        {
            using var stream = modelEntry.Open();
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"'{prefix}model.onnx' in the model zip is shorter than its entry says; the zip is damaged.", ex);
        }

        var options = new OnnxBatchScoringOptions
        {
            ModelBytes = bytes,
            BatchSize = state.BatchSize,
            LengthGroupingWindow = state.LengthGroupingWindow,
            MaxSequenceLength = state.MaxSequenceLength,
            StockSequenceLength = state.StockSequenceLength,
            Session = new OnnxSessionOptions
            {
                IntraOpThreads = state.IntraOpThreads,
                InterOpThreads = state.InterOpThreads,
                ExecutionProvider = Enum.TryParse<ExecutionProvider>(state.ExecutionProvider, out var provider) ? provider : ExecutionProvider.Cpu,
                DeviceId = state.DeviceId,
            },
        };
        if (overrides?.Session is { } session)
        {
            options.Session = session.Clone();
        }

        options.Logger = overrides?.Logger;
        options.ModelName = prefix + "model.onnx";
        if (overrides?.BatchSize is { } batchSize)
        {
            options.BatchSize = batchSize;
        }

        foreach (var pair in state.InputColumns)
        {
            options.InputColumns[pair.Key] = pair.Value;
        }

        foreach (var pair in state.OutputColumns)
        {
            options.OutputColumns[pair.Key] = pair.Value;
        }

        foreach (var pair in state.PadValues)
        {
            options.PadValues[pair.Key] = pair.Value;
        }

        return new OnnxBatchScoringTransformer(mlContext, options);
    }

    private byte[] ModelBytes() => _options.ModelBytes ?? File.ReadAllBytes(_options.ModelPath!);

    private ScoringBinding Bind(DataViewSchema inputSchema) => new(_runner, inputSchema, _options.InputColumns, _outputs);

    private sealed class PersistedState
    {
        public int BatchSize { get; set; }

        public int LengthGroupingWindow { get; set; }

        public int MaxSequenceLength { get; set; }

        public int StockSequenceLength { get; set; }

        public Dictionary<string, string> InputColumns { get; set; } = [];

        public Dictionary<string, string> OutputColumns { get; set; } = [];

        public Dictionary<string, double> PadValues { get; set; } = [];

        public int IntraOpThreads { get; set; }

        public int InterOpThreads { get; set; }

        public string ExecutionProvider { get; set; } = "Cpu";

        public int DeviceId { get; set; }
    }
}
