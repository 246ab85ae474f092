using Microsoft.Extensions.Logging;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Pipeline.Scoring;

/// <summary>Settings for <see cref="OnnxBatchScoringEstimator"/>.</summary>
/// <remarks>
/// Give the model as <see cref="ModelPath"/> or <see cref="ModelBytes"/>. By default every model input reads the
/// column of the same name and every model output becomes a column of the same name. Defaults: 32 rows per
/// ONNX Runtime call, rows grouped by length within windows of 4 batches, a maximum sequence length of 512,
/// CPU execution with ONNX Runtime's thread defaults.
/// </remarks>
public sealed class OnnxBatchScoringOptions
{
    /// <summary>Gets or sets the path of the <c>.onnx</c> file.</summary>
    public string? ModelPath { get; set; }

    /// <summary>Gets or sets the serialized model, used when <see cref="ModelPath"/> is not set.</summary>
    public byte[]? ModelBytes { get; set; }

    /// <summary>Gets the column each model input reads, by model input name. Inputs not listed read the column of their own name.</summary>
    public IDictionary<string, string> InputColumns { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets the column each model output is written to, by model output name. When empty, every model output
    /// becomes a column of its own name; otherwise only the listed outputs are computed.
    /// </summary>
    public IDictionary<string, string> OutputColumns { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets the most rows per ONNX Runtime call.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>
    /// Gets or sets how many rows are read ahead and sorted by length before being cut into batches, so that a
    /// batch pads little. 0 means 256 rows or four batches, whichever is more; 1 or <see cref="BatchSize"/> keeps arrival order. Output rows
    /// always keep the input order.
    /// </summary>
    public int LengthGroupingWindow { get; set; }

    /// <summary>Gets or sets the longest allowed variable-length axis of a row; 0 for no limit.</summary>
    public int MaxSequenceLength { get; set; } = 512;

    /// <summary>Gets the pad value per model input (0 when absent).</summary>
    public IDictionary<string, double> PadValues { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Gets or sets the session settings: device, threads, optimization level, cache file.</summary>
    public OnnxSessionOptions Session { get; set; } = new();

    /// <summary>
    /// Gets or sets the sequence length pinned in the stock ML.NET <c>OnnxTransformer</c> this transformer saves
    /// for stock ML.NET loaders, whose ONNX transformer cannot take a variable axis. 0 uses <see cref="MaxSequenceLength"/>, or 128.
    /// </summary>
    public int StockSequenceLength { get; set; }

    /// <summary>
    /// Gets or sets an optimization recipe applied when the estimator is fitted, for example <c>fuse+int8-dynamic</c>
    /// (see <c>MLNetInference.Optimizers.Recipes.OptimizationRecipe</c>). The optimized model is checked against the
    /// original, scored with, and saved; <see langword="null"/> scores the model as given.
    /// </summary>
    public string? Recipe { get; set; }

    /// <summary>
    /// Gets or sets how many rows of the data given to <c>Fit</c> calibrate a recipe with <c>int8-static</c> (256 by
    /// default); each row runs through the float model once.
    /// </summary>
    public int CalibrationRows { get; set; } = 256;

    /// <summary>
    /// Gets or sets the logger that receives the session factory's warnings and load information as they happen: a
    /// CUDA device that is not available (and the fall back to the CPU), a model that runs one row per call, a batch
    /// dimension rewritten from 1. None when <see langword="null"/>.
    /// </summary>
    public ILogger? Logger { get; set; }

    /// <summary>Gets or sets the name of a model given as bytes, for logs and errors.</summary>
    internal string? ModelName { get; set; }

    internal int EffectiveWindow => LengthGroupingWindow <= 0 ? Math.Max(256, BatchSize * 4) : Math.Max(LengthGroupingWindow, BatchSize);

    internal void Validate()
    {
        if (string.IsNullOrEmpty(ModelPath) && (ModelBytes is null || ModelBytes.Length == 0))
        {
            throw new ArgumentException("Set ModelPath or ModelBytes to the ONNX model to score with.", nameof(ModelPath));
        }

        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1.");
        }

        if (MaxSequenceLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength), MaxSequenceLength, "The maximum sequence length must be 0 (no limit) or more.");
        }

        if (CalibrationRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(CalibrationRows), CalibrationRows, "CalibrationRows must be at least 1.");
        }

        ArgumentNullException.ThrowIfNull(Session, nameof(Session));
        Session.Validate();
    }

    internal OnnxBatchScoringOptions Clone()
    {
        var copy = new OnnxBatchScoringOptions
        {
            ModelPath = ModelPath,
            ModelBytes = ModelBytes,
            BatchSize = BatchSize,
            LengthGroupingWindow = LengthGroupingWindow,
            MaxSequenceLength = MaxSequenceLength,
            Session = Session.Clone(),
            StockSequenceLength = StockSequenceLength,
            Recipe = Recipe,
            CalibrationRows = CalibrationRows,
            Logger = Logger,
            ModelName = ModelName,
        };
        foreach (var pair in InputColumns)
        {
            copy.InputColumns[pair.Key] = pair.Value;
        }

        foreach (var pair in OutputColumns)
        {
            copy.OutputColumns[pair.Key] = pair.Value;
        }

        foreach (var pair in PadValues)
        {
            copy.PadValues[pair.Key] = pair.Value;
        }

        return copy;
    }
}
