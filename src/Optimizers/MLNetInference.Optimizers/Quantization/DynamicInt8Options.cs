namespace MLNetInference.Optimizers.Quantization;

/// <summary>Settings of <see cref="DynamicInt8QuantizationPass"/>: how weights are quantized and which nodes are left alone.</summary>
public sealed class DynamicInt8Options
{
    private IReadOnlyCollection<string> _excludedNodeNames = [];

    /// <summary>
    /// Gets a value indicating whether each output column of a weight gets its own scale (per channel; the default)
    /// instead of one scale for the whole tensor.
    /// </summary>
    public bool PerChannel { get; init; } = true;

    /// <summary>
    /// Gets a value indicating whether weights use 7 bits instead of 8 (range ±63 for int8, 0..127 for uint8), which
    /// avoids saturation in the u8×s8 kernels of CPUs without VNNI at the cost of accuracy. Off by default.
    /// </summary>
    public bool ReduceRange { get; init; }

    /// <summary>
    /// Gets the quantized weight type: <see cref="QuantizedWeightType.Int8"/> by default, or
    /// <see cref="QuantizedWeightType.UInt8"/> where the quantizing CPU's u8×s8 kernels saturate
    /// (<see cref="CpuInt8Kernels.SaturatesFullRangeInt8Weights"/>: x64 without VNNI), since the model usually runs where
    /// it is quantized. Set it explicitly when quantizing for another machine.
    /// </summary>
    public QuantizedWeightType WeightType { get; init; } = CpuInt8Kernels.SaturatesFullRangeInt8Weights ? QuantizedWeightType.UInt8 : QuantizedWeightType.Int8;

    /// <summary>Gets the op types never quantized, for example <c>Gemm</c> (compared ordinally).</summary>
    public IReadOnlyCollection<string> ExcludedOpTypes { get; init; } = [];

    /// <summary>Gets the names of nodes never quantized (compared ordinally).</summary>
    public IReadOnlyCollection<string> ExcludedNodeNames { get => _excludedNodeNames; init => _excludedNodeNames = value; }

    /// <summary>Gets the fewest weight elements a weight must have to be quantized; smaller weights stay fp32. Default 0.</summary>
    public int MinimumWeightElements { get; init; }

    /// <summary>
    /// Gets a value indicating whether a following <c>Add</c> of a constant 1-D bias is folded into the quantized
    /// node's bias input (default <see langword="true"/>).
    /// </summary>
    public bool FoldBias { get; init; } = true;

    /// <summary>Checks the settings and builds the weight selection the dynamic INT8 passes share.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="MinimumWeightElements"/> is negative.</exception>
    internal Internal.WeightSelection ToSelection()
    {
        if (MinimumWeightElements < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinimumWeightElements), MinimumWeightElements, "MinimumWeightElements must not be negative.");
        }

        return new Internal.WeightSelection(ExcludedOpTypes, ExcludedNodeNames, MinimumWeightElements);
    }

    /// <summary>Returns a copy of these settings that also leaves the named nodes in float.</summary>
    /// <param name="nodeNames">More node names to exclude.</param>
    /// <returns>These settings when <paramref name="nodeNames"/> is empty, else a copy.</returns>
    internal DynamicInt8Options ExcludingNodes(IReadOnlyCollection<string> nodeNames)
    {
        if (nodeNames.Count == 0)
        {
            return this;
        }

        // A member-wise copy keeps every other setting, including ones added later.
        var copy = (DynamicInt8Options)MemberwiseClone();
        copy._excludedNodeNames = [.. _excludedNodeNames.Union(nodeNames, StringComparer.Ordinal)];
        return copy;
    }
}
