using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using static MLNetInference.Core.Graph.OpsetInfo;
using static MLNetInference.Optimizers.Passes.Fusion.FusionGraphHelpers;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// Folds an inference-mode <c>BatchNormalization</c> that directly follows a <c>Conv</c> into the convolution's weight
/// and bias: <c>W'[o,…] = W[o,…]·s[o]</c> and <c>b'[o] = (b[o] − mean[o])·s[o] + B[o]</c>, where
/// <c>s[o] = scale[o] / sqrt(var[o] + epsilon)</c>.
/// </summary>
/// <remarks>
/// The rule targets the <c>BatchNormalization</c>. Its scale, bias, mean and variance and the convolution's weight (and
/// bias, when present) must be constant float tensors with one entry per output channel; the convolution's output must
/// be read only by the normalization (and not be a graph output); only the normalization's first output may be used,
/// and it must not run in training mode. The rule writes new initializers, so weights shared with other nodes stay as
/// they are, and drops the old ones once nothing reads them.
/// </remarks>
public sealed class BatchNormIntoConvFusion : RewriteRule<BatchNormIntoConvFusion.Match>
{
    private const float DefaultEpsilon = 1e-5f;

    /// <inheritdoc />
    public override string Name => "batchnorm-into-conv-fusion";

    /// <inheritdoc />
    /// <remarks>
    /// From 7, where inference mode is the op's only mode (before 7 <c>is_test</c> defaults to 0, training); the
    /// <c>spatial</c> attribute of 7 and 8 must be 1; from 14 <c>training_mode</c> must be 0.
    /// </remarks>
    public override IReadOnlyList<OpSpec> Targets { get; } =
        [OpSpec.Onnx("BatchNormalization", 7, 8), OpSpec.Onnx("BatchNormalization", 9, 13), OpSpec.Onnx("BatchNormalization", 14)];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Matches { get; } = [OpSpec.Onnx("Conv")];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Emits { get; } = [OpSpec.Onnx("Conv")];

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, Match match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        var m = match;
        var node = m.BatchNorm;
        var channels = m.Weight.Dims[0];
        var perChannel = m.WeightValues.Length / channels;
        var weights = new float[m.WeightValues.Length];
        var bias = new float[channels];
        for (var o = 0; o < channels; o++)
        {
            var factor = m.Scale[o] / Math.Sqrt((double)m.Variance[o] + m.Epsilon);
            var start = o * perChannel;
            for (var i = start; i < start + perChannel; i++)
            {
                weights[i] = (float)(m.WeightValues[i] * factor);
            }

            var b = m.ConvBias is null ? 0d : m.ConvBias[o];
            bias[o] = (float)(((b - m.Mean[o]) * factor) + m.Offset[o]);
        }

        var conv = m.Conv;
        var output = node.Output[0];
        var weightName = graph.GenerateUniqueName(conv.Input[1] + "_bn_folded");
        var biasName = graph.GenerateUniqueName((conv.Input.Count > 2 && conv.Input[2].Length > 0 ? conv.Input[2] : conv.Input[1] + "_bias") + "_bn_folded");
        graph.AddInitializer(TensorData.FromFloat(weightName, [.. m.Weight.Dims], weights));
        graph.AddInitializer(TensorData.FromFloat(biasName, [channels], bias));
        ReplaceNodes(graph, [node, conv], () =>
        {
            var fused = new NodeProto
            {
                OpType = conv.OpType,
                Domain = conv.Domain,
                Name = conv.Name.Length > 0 ? conv.Name : graph.GenerateUniqueName("Conv"),
                DocString = conv.DocString,
            };
            fused.Input.AddRange([conv.Input[0], weightName, biasName]);
            fused.Output.Add(output);
            fused.Attribute.AddRange(conv.Attribute.Select(a => a.Clone()));
            graph.AddNode(fused);
        });
    }

    /// <inheritdoc />
    public override Match? TryMatch(OnnxGraph graph, NodeProto node)
    {
        var bn = node;
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(bn);
        if (bn.OpType != "BatchNormalization" || !IsOnnxDomain(bn) || bn.Input.Count != 5 || bn.Output.Count == 0
            || bn.Output[0].Length == 0 || bn.Input.Any(i => i.Length == 0))
        {
            return null;
        }

        // Training mode (opset 14+), the old is_test flag, and per-element (non-spatial) statistics are not folded.
        if (GetInt(bn, "training_mode", 0) != 0 || GetInt(bn, "spatial", 1) != 1
            || bn.Attribute.Any(a => a.Name == "is_test" && a.I == 0))
        {
            return null;
        }

        for (var i = 1; i < bn.Output.Count; i++)
        {
            if (bn.Output[i].Length > 0 && graph.IsUsed(bn.Output[i]))
            {
                return null;
            }
        }

        var conv = graph.GetInputProducer(bn, 0, "Conv");
        if (conv is null || !IsOnnxDomain(conv) || conv.Output.Count != 1 || conv.Input.Count < 2
            || conv.Input[0].Length == 0 || !OnlyUsedBy(graph, conv.Output[0], bn))
        {
            return null;
        }

        if (!TryReadFloats(graph, conv.Input[1], out var weight, out var weightValues) || weight.Dims.Count < 3)
        {
            return null;
        }

        var channels = weight.Dims[0];
        if (channels <= 0 || weightValues.Length == 0 || weightValues.Length % channels != 0)
        {
            return null;
        }

        float[]? convBias = null;
        if (conv.Input.Count > 2 && conv.Input[2].Length > 0
            && (!TryReadVector(graph, conv.Input[2], channels, out convBias) || conv.Input.Count > 3))
        {
            return null;
        }

        if (!TryReadVector(graph, bn.Input[1], channels, out var scale)
            || !TryReadVector(graph, bn.Input[2], channels, out var offset)
            || !TryReadVector(graph, bn.Input[3], channels, out var mean)
            || !TryReadVector(graph, bn.Input[4], channels, out var variance))
        {
            return null;
        }

        var epsilon = DefaultEpsilon;
        foreach (var attribute in bn.Attribute)
        {
            if (attribute.Name == "epsilon")
            {
                epsilon = attribute.F;
            }
        }

        if (variance.Any(v => v + epsilon <= 0 || !float.IsFinite(v)))
        {
            return null;
        }

        return new Match(bn, conv, weight, weightValues, convBias, scale, offset, mean, variance, epsilon);
    }

    private static bool TryReadFloats(OnnxGraph graph, string value, out GraphTensor tensor, out float[] values)
    {
        values = [];
        return graph.TryGetConstant(value, out tensor)
            && tensor.ElementType == TensorProto.Types.DataType.Float
            && tensor.TryReadFloat(out values);
    }

    private static bool TryReadVector(OnnxGraph graph, string value, long length, out float[] values)
    {
        if (!TryReadFloats(graph, value, out var tensor, out values) || tensor.Dims.Count != 1 || values.Length != length)
        {
            values = [];
            return false;
        }

        return true;
    }

    /// <summary>A <c>BatchNormalization</c> right after a <c>Conv</c>, with the constants the fold needs.</summary>
    /// <param name="BatchNorm">The <c>BatchNormalization</c>.</param>
    /// <param name="Conv">The <c>Conv</c> it follows.</param>
    /// <param name="Weight">The convolution's weight.</param>
    /// <param name="WeightValues">The weight's values.</param>
    /// <param name="ConvBias">The convolution's bias values, or <see langword="null"/> when it has none.</param>
    /// <param name="Scale">The normalization's scale.</param>
    /// <param name="Offset">The normalization's bias.</param>
    /// <param name="Mean">The normalization's mean.</param>
    /// <param name="Variance">The normalization's variance.</param>
    /// <param name="Epsilon">The normalization's epsilon.</param>
    public sealed record Match(
        NodeProto BatchNorm,
        NodeProto Conv,
        GraphTensor Weight,
        float[] WeightValues,
        float[]? ConvBias,
        float[] Scale,
        float[] Offset,
        float[] Mean,
        float[] Variance,
        float Epsilon);
}
