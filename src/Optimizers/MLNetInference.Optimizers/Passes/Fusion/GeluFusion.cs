using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using static MLNetInference.Core.Graph.OpsetInfo;
using static MLNetInference.Optimizers.Passes.Fusion.FusionGraphHelpers;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// Fuses the erf form of GELU, <c>x · 0.5 · (1 + Erf(x / √2))</c>, into one <c>com.microsoft</c> <c>Gelu</c>.
/// </summary>
/// <remarks>
/// The rule targets the <c>Erf</c>. Its input is <c>Div(x, √2)</c> or <c>Mul(x, 1/√2)</c>; its output goes through
/// <c>Add(1)</c>, and the two multiplications by <c>x</c> and by 0.5 may come in any order:
/// <c>(x · (1 + e)) · 0.5</c>, <c>(x · 0.5) · (1 + e)</c> or <c>x · ((1 + e) · 0.5)</c>.
/// </remarks>
public sealed class GeluFusion : RewriteRule<GeluFusion.Match>
{
    private const float Sqrt2 = 1.41421356f;

    /// <inheritdoc />
    public override string Name => "gelu-fusion";

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Targets { get; } = [OpSpec.Onnx("Erf", 9)];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Matches { get; } = [OpSpec.Onnx("Div", 7), OpSpec.Onnx("Mul", 7), OpSpec.Onnx("Add", 7)];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Emits { get; } = [OpSpec.Microsoft("Gelu")];

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, Match match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        var output = match.Last.Output[0];
        ReplaceNodes(graph, match.Nodes, () => graph.AddNode("Gelu", [match.X], [output], graph.GenerateUniqueName("Gelu"), MicrosoftDomain));
    }

    /// <inheritdoc />
    public override Match? TryMatch(OnnxGraph graph, NodeProto node)
    {
        var erf = node;
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(erf);
        if (!IsOnnxDomain(erf) || erf.Input.Count != 1)
        {
            return null;
        }

        var scale = graph.GetInputProducer(erf, 0);
        if (scale is null || !IsOnnxDomain(scale) || scale.Input.Count != 2 || !OnlyUsedBy(graph, scale.Output[0], erf))
        {
            return null;
        }

        var x = scale.Input[0];
        var scaled = scale.OpType switch
        {
            "Div" => IsScalar(graph, scale.Input[1], Sqrt2, 1e-3f),
            "Mul" => IsScalar(graph, scale.Input[1], 1f / Sqrt2, 1e-3f)
                || (IsScalar(graph, scale.Input[0], 1f / Sqrt2, 1e-3f) && (x = scale.Input[1]).Length > 0),
            _ => false,
        };
        if (!scaled || graph.TryGetConstant(x, out _))
        {
            return null;
        }

        var addOne = SingleConsumer(graph, erf.Output[0], "Add");
        var one = addOne is null ? null : OtherInput(addOne, erf.Output[0]);
        if (addOne is null || one is null || !IsScalar(graph, one, 1f, 1e-6f))
        {
            return null;
        }

        var mul1 = SingleConsumer(graph, addOne.Output[0], "Mul");
        var other = mul1 is null ? null : OtherInput(mul1, addOne.Output[0]);
        if (mul1 is null || other is null)
        {
            return null;
        }

        var nodes = new List<NodeProto> { scale, erf, addOne, mul1 };
        if (other == x)
        {
            // (x * (1 + e)) * 0.5
            var half = SingleConsumer(graph, mul1.Output[0], "Mul");
            var c = half is null ? null : OtherInput(half, mul1.Output[0]);
            if (half is null || c is null || !IsScalar(graph, c, 0.5f, 1e-6f))
            {
                return null;
            }

            nodes.Add(half);
            return new Match(x, half, nodes);
        }

        if (IsScalar(graph, other, 0.5f, 1e-6f))
        {
            // x * ((1 + e) * 0.5)
            var byX = SingleConsumer(graph, mul1.Output[0], "Mul");
            if (byX is null || OtherInput(byX, mul1.Output[0]) != x)
            {
                return null;
            }

            nodes.Add(byX);
            return new Match(x, byX, nodes);
        }

        // (x * 0.5) * (1 + e)
        var halfX = graph.GetProducer(other);
        if (halfX is { OpType: "Mul" } && IsOnnxDomain(halfX) && OnlyUsedBy(graph, other, mul1)
            && OtherInput(halfX, x) is { } h && IsScalar(graph, h, 0.5f, 1e-6f))
        {
            nodes.Add(halfX);
            return new Match(x, mul1, nodes);
        }

        return null;
    }

    /// <summary>A GELU pattern found at an <c>Erf</c>.</summary>
    /// <param name="X">The value GELU is applied to.</param>
    /// <param name="Last">The pattern's last node, whose output the fused <c>Gelu</c> takes over.</param>
    /// <param name="Nodes">Every node of the pattern.</param>
    public sealed record Match(string X, NodeProto Last, IReadOnlyList<NodeProto> Nodes);
}
