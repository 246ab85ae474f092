using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Quantization.Sensitivity;

/// <summary>
/// Dynamic INT8 quantization that first measures each weight MatMul's quantization error on sample inputs
/// (<see cref="SensitiveLayerSelection"/>) and treats the most sensitive ones apart: kept in float, or smoothed
/// (<see cref="SensitiveMatMulTreatment"/>); then everything is <see cref="DynamicInt8QuantizationPass"/> with the
/// given options. The recipe step <c>int8-dynamic-sensitive</c> smooths the <see cref="DefaultSensitiveCount"/> most
/// sensitive MatMul(s) where that lowers the measured error and keeps the others float.
/// </summary>
public sealed class SensitiveDynamicInt8QuantizationPass : ModelPass
{
    /// <summary>The number of most sensitive MatMuls the recipe step treats apart.</summary>
    public const int DefaultSensitiveCount = 1;

    private readonly int _keep;
    private readonly SensitiveMatMulTreatment _treatment;
    private readonly DynamicInt8Options _options;
    private readonly SampleInputOptions? _samples;
    private ModelProto? _measured;
    private IReadOnlyList<string> _kept = [];

    /// <summary>Initializes a new instance of the <see cref="SensitiveDynamicInt8QuantizationPass"/> class.</summary>
    /// <param name="keepInFloat">How many of the most sensitive MatMuls get the <paramref name="treatment"/>.</param>
    /// <param name="options">The quantization settings; their exclusions are kept and the sensitive nodes added.</param>
    /// <param name="samples">Sample-input settings for the measurement; defaults when <see langword="null"/>.</param>
    /// <param name="treatment">What happens to the sensitive MatMuls; <see cref="SensitiveMatMulTreatment.KeepFloat"/> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keepInFloat"/> is negative.</exception>
    public SensitiveDynamicInt8QuantizationPass(int keepInFloat = DefaultSensitiveCount, DynamicInt8Options? options = null, SampleInputOptions? samples = null, SensitiveMatMulTreatment treatment = SensitiveMatMulTreatment.KeepFloat)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keepInFloat);
        _keep = keepInFloat;
        _treatment = treatment;
        _options = options ?? new DynamicInt8Options();
        _samples = samples;
    }

    /// <inheritdoc/>
    public override string Name => "dynamic-int8-sensitive";

    /// <summary>Gets the MatMuls the latest run kept in float, most sensitive first.</summary>
    public IReadOnlyList<string> KeptInFloat => _kept;

    /// <summary>
    /// Gets the MatMuls whose activations were smoothed (<see cref="SensitiveMatMulTreatment.SmoothActivations"/>): those
    /// among the most sensitive whose measured error smoothing lowered; the rest of them stay float (<see cref="KeptInFloat"/>).
    /// </summary>
    public IReadOnlyList<string> Smoothed { get; private set; } = [];

    /// <summary>Gets what the latest quantization did; <see langword="null"/> before the first run.</summary>
    public DynamicInt8Summary? LastSummary { get; private set; }

    /// <inheritdoc/>
    protected override bool RunCore(ModelProto model)
    {
        // A pass manager runs the pass again until nothing changes; the choice is measured once per model, on its
        // float MatMuls, and reused.
        var smoothed = false;
        if (!ReferenceEquals(model, _measured))
        {
            var (ranking, channelMax) = SensitiveLayerSelection.MeasureWithChannelRanges(model, WeightQuantizationScheme.DynamicInt8, _samples);
            _kept = [.. ranking.Take(_keep).Select(s => s.NodeName)];
            _measured = model;
            if (_treatment == SensitiveMatMulTreatment.SmoothActivations && _kept.Count > 0)
            {
                // Smoothing is kept only for the MatMuls whose measured error it lowers; the others stay float.
                var before = ranking.ToDictionary(r => r.NodeName, r => r.RelativeError, StringComparer.Ordinal);
                var original = model.Graph.Clone();
                foreach (var name in _kept)
                {
                    ActivationSmoothing.Apply(model, name, channelMax[name]);
                }

                var after = SensitiveLayerSelection.Measure(model, WeightQuantizationScheme.DynamicInt8, _samples).ToDictionary(r => r.NodeName, r => r.RelativeError, StringComparer.Ordinal);
                var helped = _kept.Where(n => after.TryGetValue(n, out var e) && e < before[n]).ToList();
                model.Graph = original;
                foreach (var name in helped)
                {
                    smoothed |= ActivationSmoothing.Apply(model, name, channelMax[name]);
                }

                Smoothed = helped;
                _kept = [.. _kept.Except(helped, StringComparer.Ordinal)];
            }
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
        return changed || smoothed;
    }
}
