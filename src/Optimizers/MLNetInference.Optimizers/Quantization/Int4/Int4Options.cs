namespace MLNetInference.Optimizers.Quantization.Int4;

/// <summary>Settings of <see cref="Int4WeightQuantizationPass"/>: block size, symmetry, and which nodes are left alone.</summary>
public sealed class Int4Options
{
    private IReadOnlyCollection<string> _excludedNodeNames = [];
    private int _keepMostSensitiveInFloat;
    private int _accuracyLevel;

    /// <summary>
    /// The number of most sensitive MatMuls <see cref="RecipeDefault"/> keeps in float (see
    /// <see cref="KeepMostSensitiveInFloat"/>).
    /// </summary>
    public const int RecipeDefaultKeepInFloat = 2;

    /// <summary>
    /// Gets new settings as the <c>int4-weights</c> recipe step uses them when it is given none: asymmetric blocks of 16
    /// with error-minimizing scales, <c>accuracy_level</c> 0 (ONNX Runtime's choice), and the
    /// <see cref="RecipeDefaultKeepInFloat"/> MatMuls whose quantization costs the model's output most kept in float
    /// (measured on 4 generated inputs, or on the recipe's calibration data when it has some).
    /// </summary>
    /// <remarks>
    /// Measured side by side on a CPU without VNNI (AMD EPYC, AVX2; BENCHMARKS.md, "INT4 weights by MatMulNBits
    /// accuracy_level"): MiniLM's pooled sentence-embedding cosine 0.985 (0.982 with every MatMul quantized) at the speed
    /// of fp32 (0.98-1.04x at batch 1, 0.99-1.02x at batch 16). Blocks of 32 with <c>accuracy_level</c> 4 ran at
    /// 0.82-0.89x fp32 there, with or without MatMuls kept float; on a CPU with VNNI, measure them before choosing.
    /// </remarks>
    public static Int4Options RecipeDefault => new()
    {
        BlockSize = 16,
        Symmetric = false,
        ErrorMinimizingScales = true,
        KeepMostSensitiveInFloat = RecipeDefaultKeepInFloat,
        SensitivitySamples = new Verification.SampleInputOptions { SampleCount = 4 },
    };

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
    /// 1 fp32, 2 fp16, 3 bf16 and 4 int8 activations (the least accurate; ONNX Runtime's fast path where 8-bit dot
    /// products are fast, <see cref="CpuInt8Kernels.HasFastInt8"/>, but 0.55-0.58x fp32 per layer on an AVX2 CPU without
    /// VNNI, BENCHMARKS.md "The ceiling of 8-bit kernels").
    /// </summary>
    public int AccuracyLevel { get => _accuracyLevel; init => _accuracyLevel = value; }

    /// <summary>Gets the op types never quantized (compared ordinally); only <c>MatMul</c> is a candidate.</summary>
    public IReadOnlyCollection<string> ExcludedOpTypes { get; init; } = [];

    /// <summary>Gets the names of nodes never quantized (compared ordinally).</summary>
    public IReadOnlyCollection<string> ExcludedNodeNames { get => _excludedNodeNames; init => _excludedNodeNames = value; }

    /// <summary>
    /// Gets how many MatMuls at most stay float because they cost the model's output the most when quantized. 0 (the
    /// default) measures nothing. The pass quantizes a copy whole, puts each MatMul alone back to float, and ranks them by
    /// how much that raises the cosine of the model's outputs to the float model's on sample inputs (the inputs given to
    /// the pass, such as the recipe's calibration data, or else generated ones, <see cref="SensitivitySamples"/>); the top
    /// ones whose return helps at all stay MatMul. This costs one ONNX Runtime session per MatMul (about 15 s for
    /// MiniLM's 36 on 2 cores).
    /// </summary>
    /// <remarks>
    /// The ranking is by the output, not by each MatMul's own error: on MiniLM at block 32 the two MatMuls whose return to
    /// float raised the pooled sentence-embedding cosine most ranked 7th and 21st by their own error
    /// (<see cref="Sensitivity.SensitiveLayerSelection"/>).
    /// </remarks>
    public int KeepMostSensitiveInFloat { get => _keepMostSensitiveInFloat; init => _keepMostSensitiveInFloat = value; }

    /// <summary>
    /// Gets the settings of the generated inputs of the sensitivity measurement (<see cref="KeepMostSensitiveInFloat"/>),
    /// used when the pass is given no inputs; defaults (2 samples of batch 2, sequence 16) when <see langword="null"/>.
    /// </summary>
    public Verification.SampleInputOptions? SensitivitySamples { get; init; }

    /// <summary>Gets the fewest weight elements (K × N) a weight must have to be quantized; smaller weights stay fp32. Default 0.</summary>
    public int MinimumWeightElements { get; init; }

    /// <summary>Returns a copy of these settings with another <see cref="KeepMostSensitiveInFloat"/>.</summary>
    /// <param name="count">How many MatMuls at most to keep in float by their measured sensitivity; 0 measures nothing.</param>
    /// <returns>The copy; every other setting is the same.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    public Int4Options KeepingMostSensitiveInFloat(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var copy = (Int4Options)MemberwiseClone();
        copy._keepMostSensitiveInFloat = count;
        return copy;
    }

    /// <summary>Returns a copy of these settings with another <see cref="AccuracyLevel"/>.</summary>
    /// <param name="level">The <c>accuracy_level</c>: 0 to 4.</param>
    /// <returns>The copy; every other setting is the same.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not 0 to 4.</exception>
    public Int4Options WithAccuracyLevel(int level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 4);
        var copy = (Int4Options)MemberwiseClone();
        copy._accuracyLevel = level;
        return copy;
    }

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
