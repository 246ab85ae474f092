using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using static MLNetInference.Core.Graph.OpsetInfo;
using static MLNetInference.Optimizers.Passes.Fusion.FusionGraphHelpers;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// Fuses the decomposed layer normalization over the last axis,
/// <c>ReduceMean → Sub → Pow(2) → ReduceMean → Add(epsilon) → Sqrt → Div → Mul(gamma) [→ Add(beta)]</c>, into one ONNX
/// <c>LayerNormalization</c> (axis -1), at whatever default-domain opset the model imports.
/// </summary>
/// <remarks>
/// The rule targets the first <c>ReduceMean</c>. Every intermediate value must be read only inside the pattern, gamma
/// and beta must be constant one-dimensional float tensors, and both means must reduce only axis -1 with
/// <c>keepdims</c> set (axes as an attribute before opset 18, as an input from 18).
/// <para>
/// The fused node is the ONNX op of opset 17 when the model imports 17 or later. Below 17 it is ONNX Runtime's own
/// <c>LayerNormalization</c>, which ONNX Runtime registers in the ONNX domain from version 1 and emits from its own
/// fusion at any opset (ONNX adopted that schema at 17). The model's opset is never raised: raising it would change
/// the signature of ops this rule does not touch, such as <c>Unsqueeze</c> and <c>ReduceSum</c> at 13.
/// </para>
/// </remarks>
public sealed class LayerNormalizationFusion : RewriteRule<LayerNormalizationFusion.Match>
{
    /// <inheritdoc />
    public override string Name => "layer-normalization-fusion";

    /// <inheritdoc />
    /// <remarks>Both signatures: axes as an attribute before opset 18, as an input from 18.</remarks>
    public override IReadOnlyList<OpSpec> Targets { get; } = [OpSpec.Onnx("ReduceMean", 1, 17), OpSpec.Onnx("ReduceMean", 18)];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Matches { get; } =
        [OpSpec.Onnx("Sub", 7), OpSpec.Onnx("Pow", 7), OpSpec.Onnx("Add", 7), OpSpec.Onnx("Sqrt", 6), OpSpec.Onnx("Div", 7), OpSpec.Onnx("Mul", 7)];

    /// <inheritdoc />
    /// <remarks>ONNX Runtime's registration in the ONNX domain below opset 17, ONNX's own op (the same signature) from 17.</remarks>
    public override IReadOnlyList<OpSpec> Emits { get; } = LayerNormalizationOp;

    /// <summary>
    /// Gets <c>LayerNormalization</c> as ONNX Runtime runs it: below opset 17 its own registration in the ONNX domain
    /// (versions 1 to 16), from 17 ONNX's op, which adopted the same signature.
    /// </summary>
    public static IReadOnlyList<OpSpec> LayerNormalizationOp { get; } = [OpSpec.Onnx("LayerNormalization", 1, 16), OpSpec.Onnx("LayerNormalization", 17)];

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, Match match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        var m = match;
        var output = m.Last.Output[0];
        ReplaceNodes(graph, m.Nodes, () =>
        {
            var inputs = m.Beta is null ? new[] { m.Input, m.Gamma } : [m.Input, m.Gamma, m.Beta];
            graph.AddNode(
                "LayerNormalization",
                inputs,
                [output],
                graph.GenerateUniqueName("LayerNormalization"),
                attributes: [IntAttribute("axis", -1), FloatAttribute("epsilon", m.Epsilon)]);
        });
    }

    /// <inheritdoc />
    public override Match? TryMatch(OnnxGraph graph, NodeProto node)
    {
        var mean = node;
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(mean);
        if (!IsLastAxisReduceMean(graph, mean) || mean.Input.Count == 0 || mean.Input[0].Length == 0)
        {
            return null;
        }

        var x = mean.Input[0];
        var sub = SingleConsumer(graph, mean.Output[0], "Sub");
        if (sub is null || sub.Input[0] != x || sub.Input[1] != mean.Output[0])
        {
            return null;
        }

        var centered = sub.Output[0];
        if (graph.IsGraphOutput(centered))
        {
            return null;
        }

        var readers = graph.GetConsumers(centered);
        if (readers.Count != 2)
        {
            return null;
        }

        var pow = readers.FirstOrDefault(n => n.OpType == "Pow" && IsOnnxDomain(n) && n.Input[0] == centered);
        var div = readers.FirstOrDefault(n => n.OpType == "Div" && IsOnnxDomain(n) && n.Input[0] == centered);
        if (pow is null || div is null || !IsScalar(graph, pow.Input[1], 2f, 0f))
        {
            return null;
        }

        var variance = SingleConsumer(graph, pow.Output[0], "ReduceMean");
        if (variance is null || !IsLastAxisReduceMean(graph, variance))
        {
            return null;
        }

        var addEps = SingleConsumer(graph, variance.Output[0], "Add");
        var eps = addEps is null ? null : OtherInput(addEps, variance.Output[0]);
        if (addEps is null || eps is null || !TryGetScalar(graph, eps, out var epsilon) || epsilon < 0)
        {
            return null;
        }

        var sqrt = SingleConsumer(graph, addEps.Output[0], "Sqrt");
        if (sqrt is null || !OnlyUsedBy(graph, sqrt.Output[0], div) || div.Input[1] != sqrt.Output[0])
        {
            return null;
        }

        var mul = SingleConsumer(graph, div.Output[0], "Mul");
        var gamma = mul is null ? null : OtherInput(mul, div.Output[0]);
        if (mul is null || gamma is null || !IsFloatVector(graph, gamma) || VectorLength(graph, gamma) < 2)
        {
            return null;
        }

        var nodes = new List<NodeProto> { mean, sub, pow, variance, addEps, sqrt, div, mul };
        var last = mul;
        string? beta = null;
        var addBeta = SingleConsumer(graph, mul.Output[0], "Add");
        var betaCandidate = addBeta is null ? null : OtherInput(addBeta, mul.Output[0]);
        if (addBeta is not null && betaCandidate is not null && IsFloatVector(graph, betaCandidate)
            && VectorLength(graph, betaCandidate) == VectorLength(graph, gamma))
        {
            beta = betaCandidate;
            nodes.Add(addBeta);
            last = addBeta;
        }

        return new Match(x, gamma, beta, epsilon, last, nodes);
    }

    /// <summary>A decomposed layer normalization found at its first <c>ReduceMean</c>.</summary>
    /// <param name="Input">The normalized value.</param>
    /// <param name="Gamma">The constant scale.</param>
    /// <param name="Beta">The constant offset, or <see langword="null"/> when the pattern has none.</param>
    /// <param name="Epsilon">The epsilon added to the variance.</param>
    /// <param name="Last">The pattern's last node, whose output the fused node takes over.</param>
    /// <param name="Nodes">Every node of the pattern.</param>
    public sealed record Match(string Input, string Gamma, string? Beta, float Epsilon, NodeProto Last, IReadOnlyList<NodeProto> Nodes);
}
