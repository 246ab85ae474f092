using System.Globalization;
using Google.Protobuf;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Quantization.Internal;
using MLNetInference.Optimizers.Quantization.Sensitivity;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Quantization.Int4;

/// <summary>
/// INT4 weight-only quantization: every <c>MatMul</c> whose B is a 2-D float initializer [K, N] becomes a
/// <c>com.microsoft</c> <c>MatMulNBits</c> (bits 4) with block-wise scales along K (and zero points when asymmetric).
/// Activations stay float; ONNX Runtime dequantizes the weights inside the kernel. fp32 weights that nothing reads any
/// more are removed, and the <c>com.microsoft</c> opset import is added.
/// </summary>
public sealed class Int4WeightQuantizationPass : ModelPass
{
    private readonly Int4Options _options;
    private readonly WeightSelection _selection;
    private readonly IReadOnlyList<IReadOnlyDictionary<string, SampleTensor>>? _sensitivityInputs;
    private ModelProto? _measured;
    private IReadOnlyList<KeptMatMul> _kept = [];

    /// <summary>Initializes a new instance of the <see cref="Int4WeightQuantizationPass"/> class.</summary>
    /// <param name="options">The settings; defaults (block size 32, symmetric) when <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The block size is not a power of two of at least 16, or a count is negative.</exception>
    public Int4WeightQuantizationPass(Int4Options? options = null)
        : this(options, null)
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="Int4WeightQuantizationPass"/> class whose sensitivity measurement
    /// (<see cref="Int4Options.KeepMostSensitiveInFloat"/>) runs on the given inputs, for example real calibration samples,
    /// instead of generated ones.
    /// </summary>
    /// <param name="options">The settings; defaults (block size 32, symmetric) when <see langword="null"/>.</param>
    /// <param name="sensitivityInputs">
    /// The inputs of the measurement, one dictionary of named inputs per run; at most <see cref="MaxSensitivityInputs"/>
    /// are used. Generated from <see cref="Int4Options.SensitivitySamples"/> when <see langword="null"/> or empty.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">The block size is not a power of two of at least 16, or a count is negative.</exception>
    public Int4WeightQuantizationPass(Int4Options? options, IEnumerable<IReadOnlyDictionary<string, SampleTensor>>? sensitivityInputs)
    {
        _options = options ?? new Int4Options();
        var inputs = sensitivityInputs?.Take(MaxSensitivityInputs).ToList();
        _sensitivityInputs = inputs is { Count: > 0 } ? inputs : null;
        if (_options.BlockSize < 16 || (_options.BlockSize & (_options.BlockSize - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"BlockSize must be a power of two of at least 16, not {_options.BlockSize}.");
        }

        if (_options.MinimumWeightElements < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MinimumWeightElements must not be negative.");
        }

        if (_options.AccuracyLevel is < 0 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "AccuracyLevel must be between 0 and 4.");
        }

        if (_options.KeepMostSensitiveInFloat < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "KeepMostSensitiveInFloat must not be negative.");
        }

        _selection = new WeightSelection(_options.ExcludedOpTypes, _options.ExcludedNodeNames, _options.MinimumWeightElements);
    }

    /// <summary>The most inputs the sensitivity measurement runs on (each costs one run per measured MatMul).</summary>
    public const int MaxSensitivityInputs = 8;

    /// <inheritdoc/>
    public override string Name => "int4-weights";

    /// <summary>Gets the MatMuls kept float by <see cref="Int4Options.KeepMostSensitiveInFloat"/>, most sensitive first.</summary>
    /// <remarks>A MatMul without a name is listed as <c>MatMul-&gt;</c> and its output's name.</remarks>
    public IReadOnlyList<string> KeptInFloat => [.. _kept.Select(k => k.Label)];

    /// <summary>Gets what the latest run did; <see langword="null"/> before the first run.</summary>
    public Int4Summary? LastSummary { get; private set; }

    /// <inheritdoc/>
    protected override bool RunCore(ModelProto model)
    {
        var summary = new Int4Summary();
        LastSummary = summary;
        var blocks = new Dictionary<string, Int4Block>(StringComparer.Ordinal);
        if (_options.KeepMostSensitiveInFloat > 0 && !ReferenceEquals(model, _measured))
        {
            // A pass manager runs the pass again until nothing changes; the choice is measured once per model and reused.
            _kept = MeasureMostSensitive(model, blocks);
            _measured = model;
        }

        var quantized = Quantize(model, _options.KeepMostSensitiveInFloat > 0 ? _kept : [], blocks, summary);
        if (quantized.Count == 0)
        {
            if (summary.Skipped.Count == 0)
            {
                summary.Skipped.Add("no MatMul has a constant 2-D float weight: nothing to quantize");
            }

            return false;
        }

        return true;
    }

    private static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    // Quantizes a copy whole, then ranks its MatMulNBits by how much putting each one alone back to float raises the
    // model's output cosine on the sample inputs; the top ones (with a positive gain) stay float.
    private IReadOnlyList<KeptMatMul> MeasureMostSensitive(ModelProto model, Dictionary<string, Int4Block> blocks)
    {
        var trial = model.Clone();
        var quantized = Quantize(trial, [], blocks, new Int4Summary());
        if (quantized.Count == 0)
        {
            return [];
        }

        var samples = _sensitivityInputs ?? SampleInputGenerator.Generate(model, _options.SensitivitySamples);
        var (_, ranking) = OutputSensitivity.Rank(model, trial, [.. quantized.Keys], samples);
        return [.. ranking.Where(g => g.Gain > OutputSensitivity.MinimumGain).Take(_options.KeepMostSensitiveInFloat).Select(g => new KeptMatMul(quantized[g.Output], g.Output, g.Gain))];
    }

    // Replaces every selected MatMul of the model but the kept ones; returns the quantized MatMuls' labels by output.
    private Dictionary<string, string> Quantize(ModelProto model, IReadOnlyList<KeptMatMul> kept, Dictionary<string, Int4Block> blocks, Int4Summary summary)
    {
        var graph = new OnnxGraph(model);
        var cache = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var touched = new List<string>();
        var quantized = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in graph.TopologicalOrder())
        {
            if (!OpsetInfo.IsOp(node, "MatMul") || node.Input.Count != 2)
            {
                continue;
            }

            var weight = graph.GetConstantInitializer(node.Input[1]);
            if (weight is null || (TensorProto.Types.DataType)weight.DataType != TensorProto.Types.DataType.Float)
            {
                continue;
            }

            var label = node.Name.Length > 0 ? node.Name : $"MatMul->{node.Output[0]}";
            var sensitive = kept.FirstOrDefault(k => string.Equals(k.Output, node.Output[0], StringComparison.Ordinal));
            var reason = sensitive is not null
                ? string.Create(CultureInfo.InvariantCulture, $"kept in float as one of the {_options.KeepMostSensitiveInFloat} most sensitive: putting it alone back to float raised the output cosine on the samples by {sensitive.Gain:F5}")
                : _selection.SkipReason(node, weight);
            if (reason is not null)
            {
                summary.Skipped.Add($"{label}: {reason}");
                continue;
            }

            var inputs = GetOrQuantize(weight, graph, cache, blocks);
            touched.Add(weight.Name);
            var replacement = new NodeProto
            {
                Name = node.Name.Length > 0 ? node.Name : graph.GenerateUniqueName($"{node.Output[0]}_MatMulNBits"),
                OpType = "MatMulNBits",
                Domain = OpsetInfo.MicrosoftDomain,
            };
            replacement.Input.Add(node.Input[0]);
            replacement.Input.AddRange(inputs);
            replacement.Output.Add(node.Output[0]);
            replacement.Attribute.Add(IntAttribute("K", weight.Dims[0]));
            replacement.Attribute.Add(IntAttribute("N", weight.Dims[1]));
            replacement.Attribute.Add(IntAttribute("bits", 4));
            replacement.Attribute.Add(IntAttribute("block_size", _options.BlockSize));
            if (_options.AccuracyLevel != 0)
            {
                replacement.Attribute.Add(IntAttribute("accuracy_level", _options.AccuracyLevel));
            }

            graph.ReplaceNode(node, replacement);
            quantized[node.Output[0]] = label;
            summary.QuantizedMatMuls++;
        }

        if (quantized.Count == 0)
        {
            return quantized;
        }

        summary.RemovedInitializers = graph.RemoveUnusedInitializers(touched);
        graph.EnsureOpset(OpsetInfo.MicrosoftDomain, 1);
        graph.Commit();
        return quantized;
    }

    private string[] GetOrQuantize(TensorProto weight, OnnxGraph graph, Dictionary<string, string[]> cache, Dictionary<string, Int4Block> blocks)
    {
        if (cache.TryGetValue(weight.Name, out var cached))
        {
            return cached;
        }

        if (!TensorData.TryReadFloat(weight, out var values))
        {
            throw new InvalidOperationException($"Cannot read the float weight '{weight.Name}'.");
        }

        var k = checked((int)weight.Dims[0]);
        var n = checked((int)weight.Dims[1]);
        if (values.Length != k * n)
        {
            throw new InvalidOperationException($"Weight '{weight.Name}' holds {values.Length} values for shape [{k}, {n}].");
        }

        // The sensitivity measurement quantizes a copy first; the model itself reuses those blocks.
        if (!blocks.TryGetValue(weight.Name, out var block))
        {
            block = Int4BlockQuantizer.Quantize(values, k, n, _options.BlockSize, _options.Symmetric, _options.ErrorMinimizingScales);
            blocks[weight.Name] = block;
        }

        var packedName = graph.GenerateUniqueName($"{weight.Name}_Q4");
        var scalesName = graph.GenerateUniqueName($"{weight.Name}_scales");
        var packed = new TensorProto { Name = packedName, DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(block.Packed) };
        packed.Dims.AddRange([n, block.Blocks, block.BlobSize]);
        graph.AddInitializer(packed);
        graph.AddInitializer(TensorData.FromFloat(scalesName, [(long)n * block.Blocks], block.Scales));
        string[] inputs = [packedName, scalesName];
        if (block.ZeroPoints is { } zeroPoints)
        {
            var zeroName = graph.GenerateUniqueName($"{weight.Name}_zero_points");
            var zero = new TensorProto { Name = zeroName, DataType = (int)TensorProto.Types.DataType.Uint8, RawData = ByteString.CopyFrom(zeroPoints) };
            zero.Dims.Add(zeroPoints.Length);
            graph.AddInitializer(zero);
            inputs = [packedName, scalesName, zeroName];
        }

        cache[weight.Name] = inputs;
        return inputs;
    }

    private sealed record KeptMatMul(string Label, string Output, double Gain);
}
