namespace MLNetInference.Core.Runtime;

/// <summary>Settings for <see cref="BatchRunner"/>.</summary>
/// <remarks>Defaults: all outputs, pad value 0 for every input, at most 64 rows per ONNX Runtime call, no length limit.</remarks>
public sealed class BatchRunnerOptions
{
    /// <summary>Gets or sets the outputs to compute, by name; all outputs when <see langword="null"/>.</summary>
    public IReadOnlyList<string>? OutputNames { get; set; }

    /// <summary>Gets the value used to pad each input along its variable-length axis, by input name (0 when absent).</summary>
    public IDictionary<string, double> PadValues { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Gets or sets the most rows packed into one ONNX Runtime call; larger inputs run in several calls.</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>Gets or sets the longest allowed variable-length axis of a row; 0 for no limit.</summary>
    public int MaxSequenceLength { get; set; }

    internal void Validate()
    {
        if (MaxBatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "The maximum batch size must be at least 1.");
        }

        if (MaxSequenceLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequenceLength), MaxSequenceLength, "The maximum sequence length must be 0 (no limit) or more.");
        }
    }
}
