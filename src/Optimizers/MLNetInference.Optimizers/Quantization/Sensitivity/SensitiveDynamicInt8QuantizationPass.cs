using MLNetInference.Onnx.Proto;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Quantization.Sensitivity;

/// <summary>
/// Dynamic INT8 quantization that first measures each weight MatMul's quantization error on sample inputs
/// (<see cref="SensitiveLayerSelection"/>) and keeps the most sensitive ones in float; the rest is
/// <see cref="DynamicInt8QuantizationPass"/> with the given options. The recipe step <c>int8-dynamic-sensitive</c>
/// runs it with <see cref="DefaultKeptInFloat"/>.
/// </summary>
public sealed class SensitiveDynamicInt8QuantizationPass : ModelPass
{
    /// <summary>The number of MatMuls the recipe step keeps in float.</summary>
    public const int DefaultKeptInFloat = 1;

    private readonly int _keep;
    private readonly DynamicInt8Options _options;
    private readonly SampleInputOptions? _samples;
    private ModelProto? _measured;
    private IReadOnlyList<string> _kept = [];

    /// <summary>Initializes a new instance of the <see cref="SensitiveDynamicInt8QuantizationPass"/> class.</summary>
    /// <param name="keepInFloat">How many of the most sensitive MatMuls stay float.</param>
    /// <param name="options">The quantization settings; their exclusions are kept and the sensitive nodes added.</param>
    /// <param name="samples">Sample-input settings for the measurement; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keepInFloat"/> is negative.</exception>
    public SensitiveDynamicInt8QuantizationPass(int keepInFloat = DefaultKeptInFloat, DynamicInt8Options? options = null, SampleInputOptions? samples = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepInFloat);
        _keep = keepInFloat;
        _options = options ?? new DynamicInt8Options();
        _samples = samples;
    }

    /// <inheritdoc/>
    public override string Name => "dynamic-int8-sensitive";

    /// <summary>Gets the MatMuls the latest run kept in float, most sensitive first.</summary>
    public IReadOnlyList<string> KeptInFloat => _kept;

    /// <summary>Gets what the latest quantization did; <see langword="null"/> before the first run.</summary>
    public DynamicInt8Summary? LastSummary { get; private set; }

    /// <inheritdoc/>
    protected override bool RunCore(ModelProto model)
    {
        // A pass manager runs the pass again until nothing changes; the choice is measured once per model, on its
        // float MatMuls, and reused.
        if (!ReferenceEquals(model, _measured))
        {
            _kept = SensitiveLayerSelection.MostSensitive(model, WeightQuantizationScheme.DynamicInt8, _keep, _samples);
            _measured = model;
        }

        var pass = new DynamicInt8QuantizationPass(new DynamicInt8Options
        {
            PerChannel = _options.PerChannel,
            ReduceRange = _options.ReduceRange,
            WeightType = _options.WeightType,
            ExcludedOpTypes = _options.ExcludedOpTypes,
            ExcludedNodeNames = [.. _options.ExcludedNodeNames, .. _kept],
            MinimumWeightElements = _options.MinimumWeightElements,
            FoldBias = _options.FoldBias,
        });
        var changed = pass.Run(model);
        LastSummary = pass.LastSummary;
        return changed;
    }
}
