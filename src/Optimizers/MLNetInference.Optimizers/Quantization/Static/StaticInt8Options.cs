namespace MLNetInference.Optimizers.Quantization.Static;

/// <summary>Settings of <see cref="StaticInt8QuantizationPass"/> and <see cref="ActivationCalibrator"/>.</summary>
public sealed class StaticInt8Options
{
    private IReadOnlyCollection<string> _excludedNodeNames = [];

    /// <summary>Gets how each activation's range is chosen; <see cref="CalibrationMethod.MinMax"/> by default.</summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>Gets the percentile of absolute values kept by <see cref="CalibrationMethod.Percentile"/>, in (0, 100]; 99.999 by default.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Gets the number of histogram bins over [0, max|x|] used by the percentile and entropy methods; 2048 by default.</summary>
    public int HistogramBins { get; init; } = 2048;

    /// <summary>Gets how activations are quantized; <see cref="ActivationQuantization.UInt8Asymmetric"/> by default.</summary>
    public ActivationQuantization Activations { get; init; } = ActivationQuantization.UInt8Asymmetric;

    /// <summary>Gets a value indicating whether each output channel of a weight gets its own scale (the default).</summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>
    /// Gets a value indicating whether weights use 7 bits (±63), which avoids saturation in the u8×s8 kernels of CPUs
    /// without VNNI at the cost of accuracy. Off by default: on ResNet18 calibrated and measured on real photographs it
    /// lost accuracy even on an AVX2 CPU without VNNI (feature cosine 0.964 mean against 0.992 at full range).
    /// </summary>
    public bool ReduceRange { get; init; }

    /// <summary>
    /// Gets a value indicating whether the operators that can run on 8-bit data between quantized nodes (<c>Add</c>,
    /// <c>MaxPool</c>, <c>AveragePool</c>, <c>GlobalAveragePool</c>, <c>Flatten</c>, <c>Reshape</c>, <c>Transpose</c>)
    /// are quantized too when every data input comes from a quantized node; on by default.
    /// </summary>
    public bool QuantizeConnectingOps { get; init; } = true;

    /// <summary>Gets the op types never quantized, for example <c>Gemm</c> (compared ordinally).</summary>
    public IReadOnlyCollection<string> ExcludedOpTypes { get; init; } = [];

    /// <summary>Gets the names of nodes never quantized (compared ordinally).</summary>
    public IReadOnlyCollection<string> ExcludedNodeNames { get => _excludedNodeNames; init => _excludedNodeNames = value; }

    /// <summary>Gets the fewest weight elements a weight must have to be quantized; smaller ones stay fp32. Default 0.</summary>
    public int MinimumWeightElements { get; init; }

    /// <summary>Gets the most calibration samples read; the rest are ignored. 256 by default.</summary>
    public int MaxCalibrationSamples { get; init; } = 256;

    /// <summary>Gets the number of generated samples calibrated on when the caller supplies none; 8 by default.</summary>
    public int GeneratedSampleCount { get; init; } = 8;

    internal void Validate()
    {
        if (Percentile is <= 0 or > 100 || double.IsNaN(Percentile))
        {
            throw new ArgumentOutOfRangeException(nameof(Percentile), Percentile, "Percentile must be in (0, 100].");
        }

        if (HistogramBins < 256)
        {
            throw new ArgumentOutOfRangeException(nameof(HistogramBins), HistogramBins, "HistogramBins must be at least 256.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MinimumWeightElements, nameof(MinimumWeightElements));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCalibrationSamples, 1, nameof(MaxCalibrationSamples));
        ArgumentOutOfRangeException.ThrowIfLessThan(GeneratedSampleCount, 1, nameof(GeneratedSampleCount));
    }

    /// <summary>Returns a copy of these settings that also leaves the named nodes in float.</summary>
    /// <param name="nodeNames">More node names to exclude.</param>
    /// <returns>These settings when <paramref name="nodeNames"/> is empty, else a copy.</returns>
    internal StaticInt8Options ExcludingNodes(IReadOnlyCollection<string> nodeNames)
    {
        if (nodeNames.Count == 0)
        {
            return this;
        }

        // A member-wise copy keeps every other setting, including ones added later.
        var copy = (StaticInt8Options)MemberwiseClone();
        copy._excludedNodeNames = [.. _excludedNodeNames.Union(nodeNames, StringComparer.Ordinal)];
        return copy;
    }
}
