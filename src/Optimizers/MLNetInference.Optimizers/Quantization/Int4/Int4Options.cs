namespace MLNetInference.Optimizers.Quantization.Int4;

/// <summary>Settings of <see cref="Int4WeightQuantizationPass"/>: block size, symmetry, and which nodes are left alone.</summary>
public sealed class Int4Options
{
    private IReadOnlyCollection<string> _excludedNodeNames = [];

    /// <summary>
    /// Gets the number of consecutive K elements of one weight column that share a scale (and zero point); a power of
    /// two of at least 16. 32 by default.
    /// </summary>
    public int BlockSize { get; init; } = 32;

    /// <summary>
    /// Gets a value indicating whether each block is quantized symmetrically (scale = max|w| / 7, implicit zero point 8;
    /// the default) instead of asymmetrically over [min(w, 0), max(w, 0)] with a stored 4-bit zero point per block.
    /// </summary>
    public bool Symmetric { get; init; } = true;

    /// <summary>
    /// Gets a value indicating whether each block's scale (and zero point) is searched to minimize the block's squared
    /// dequantization error (range shrunk in 2% steps down to 60%, neighbouring zero points tried, then a least-squares
    /// refit of the scale) instead of taken from the block's min/max. Slower to quantize, more accurate; off by default.
    /// </summary>
    public bool ErrorMinimizingScales { get; init; }

    /// <summary>
    /// Gets the <c>accuracy_level</c> attribute of the <c>MatMulNBits</c> nodes: 0 (the default) lets ONNX Runtime pick,
    /// 1 fp32, 2 fp16, 3 bf16 and 4 int8 activations (fastest on CPU, least accurate).
    /// </summary>
    public int AccuracyLevel { get; init; }

    /// <summary>Gets the op types never quantized (compared ordinally); only <c>MatMul</c> is a candidate.</summary>
    public IReadOnlyCollection<string> ExcludedOpTypes { get; init; } = [];

    /// <summary>Gets the names of nodes never quantized (compared ordinally).</summary>
    public IReadOnlyCollection<string> ExcludedNodeNames { get => _excludedNodeNames; init => _excludedNodeNames = value; }

    /// <summary>
    /// Gets how many MatMuls stay float because quantizing them alone changes their output the most, as measured by
    /// <see cref="Sensitivity.SensitiveLayerSelection"/> on generated sample inputs (<see cref="SensitivitySamples"/>).
    /// 0 (the default) measures nothing.
    /// </summary>
    public int KeepMostSensitiveInFloat { get; init; }

    /// <summary>Gets the sample-input settings of the sensitivity measurement; defaults when <see langword="null"/>.</summary>
    public Verification.SampleInputOptions? SensitivitySamples { get; init; }

    /// <summary>Gets the fewest weight elements (K × N) a weight must have to be quantized; smaller weights stay fp32. Default 0.</summary>
    public int MinimumWeightElements { get; init; }

    /// <summary>Returns a copy of these settings that also leaves the named nodes in float.</summary>
    /// <param name="nodeNames">More node names to exclude.</param>
    /// <returns>These settings when <paramref name="nodeNames"/> is empty, else a copy.</returns>
    internal Int4Options ExcludingNodes(IReadOnlyCollection<string> nodeNames)
    {
        if (nodeNames.Count == 0)
        {
            return this;
        }

        // A member-wise copy keeps every other setting, including ones added later.
        var copy = (Int4Options)MemberwiseClone();
        copy._excludedNodeNames = [.. _excludedNodeNames.Union(nodeNames, StringComparer.Ordinal)];
        return copy;
    }
}
