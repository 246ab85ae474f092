using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using static MLNetInference.Core.Graph.OpsetInfo;
using static MLNetInference.Optimizers.Passes.Fusion.FusionGraphHelpers;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// Fuses the tanh approximation of GELU, <c>0.5 · x · (1 + Tanh(√(2/π) · (x + 0.044715 · x³)))</c>, into one
/// <c>com.microsoft</c> <c>FastGelu</c>, which runs at any default-domain opset.
/// </summary>
/// <remarks>
/// The rule targets the <c>Tanh</c>. Its input is <c>Mul(√(2/π), Add(x, Mul(0.044715, Pow(x, 3))))</c> (operands of
/// each Mul and Add in either order); its output goes through <c>Add(1)</c>, then either <c>Mul(Mul(0.5, x), ·)</c> or
/// <c>Mul(Mul(x, ·), 0.5)</c>. Every intermediate value must be read only inside the pattern.
/// </remarks>
public sealed class FastGeluFusion : RewriteRule<FastGeluFusion.Match>
{
    private const float SqrtTwoOverPi = 0.7978845608f;
    private const float Coefficient = 0.044715f;

    /// <inheritdoc />
    public override string Name => "fast-gelu-fusion";

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Targets { get; } = [OpSpec.Onnx("Tanh", 6)];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Matches { get; } = [OpSpec.Onnx("Mul", 7), OpSpec.Onnx("Add", 7), OpSpec.Onnx("Pow", 7)];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Emits { get; } = [OpSpec.Microsoft("FastGelu")];

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, Match match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        var output = match.Last.Output[0];
        ReplaceNodes(graph, match.Nodes, () => graph.AddNode("FastGelu", [match.X], [output], graph.GenerateUniqueName("FastGelu"), MicrosoftDomain));
    }

    /// <inheritdoc />
    public override Match? TryMatch(OnnxGraph graph, NodeProto node)
    {
        var tanh = node;
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(tanh);
        if (!IsOnnxDomain(tanh) || tanh.Input.Count != 1)
        {
            return null;
        }

        // Mul(√(2/π), inner)
        var scale = graph.GetInputProducer(tanh, 0, "Mul");
        if (scale is null || !IsOnnxDomain(scale) || !OnlyUsedBy(graph, scale.Output[0], tanh) || ScalarOperand(graph, scale, SqrtTwoOverPi, 1e-4f) is not { } innerValue)
        {
            return null;
        }

        // Add(x, Mul(0.044715, Pow(x, 3)))
        var inner = graph.GetProducer(innerValue);
        if (inner is not { OpType: "Add" } || !IsOnnxDomain(inner) || inner.Input.Count != 2 || !OnlyUsedBy(graph, innerValue, scale))
        {
            return null;
        }

        for (var i = 0; i < 2; i++)
        {
            var x = inner.Input[i];
            var cubicTerm = graph.GetProducer(inner.Input[1 - i]);
            if (cubicTerm is not { OpType: "Mul" } || !IsOnnxDomain(cubicTerm) || !OnlyUsedBy(graph, inner.Input[1 - i], inner)
                || ScalarOperand(graph, cubicTerm, Coefficient, 1e-5f) is not { } cubedValue)
            {
                continue;
            }

            var pow = graph.GetProducer(cubedValue);
            if (pow is not { OpType: "Pow" } || !IsOnnxDomain(pow) || pow.Input[0] != x || !IsScalar(graph, pow.Input[1], 3f, 1e-6f)
                || !OnlyUsedBy(graph, cubedValue, cubicTerm) || graph.TryGetConstant(x, out _))
            {
                continue;
            }

            var nodes = new List<NodeProto> { pow, cubicTerm, inner, scale, tanh };
            return MatchTail(graph, tanh, x, nodes);
        }

        return null;
    }

    private static Match? MatchTail(OnnxGraph graph, NodeProto tanh, string x, List<NodeProto> nodes)
    {
        var addOne = SingleConsumer(graph, tanh.Output[0], "Add");
        var one = addOne is null ? null : OtherInput(addOne, tanh.Output[0]);
        if (addOne is null || one is null || !IsScalar(graph, one, 1f, 1e-6f))
        {
            return null;
        }

        var mul = SingleConsumer(graph, addOne.Output[0], "Mul");
        var other = mul is null ? null : OtherInput(mul, addOne.Output[0]);
        if (mul is null || other is null)
        {
            return null;
        }

        nodes.Add(addOne);
        nodes.Add(mul);
        if (other == x)
        {
            // (x · (1 + t)) · 0.5
            var half = SingleConsumer(graph, mul.Output[0], "Mul");
            var c = half is null ? null : OtherInput(half, mul.Output[0]);
            if (half is null || c is null || !IsScalar(graph, c, 0.5f, 1e-6f))
            {
                return null;
            }

            nodes.Add(half);
            return new Match(x, half, nodes);
        }

        // (0.5 · x) · (1 + t)
        var halfX = graph.GetProducer(other);
        if (halfX is { OpType: "Mul" } && IsOnnxDomain(halfX) && OnlyUsedBy(graph, other, mul)
            && OtherInput(halfX, x) is { } h && IsScalar(graph, h, 0.5f, 1e-6f))
        {
            nodes.Add(halfX);
            return new Match(x, mul, nodes);
        }

        return null;
    }

    /// <summary>Gets the other operand of a two-input node when one operand is a constant scalar close to <paramref name="expected"/>.</summary>
    private static string? ScalarOperand(OnnxGraph graph, NodeProto node, float expected, float tolerance)
    {
        if (node.Input.Count != 2)
        {
            return null;
        }

        for (var i = 0; i < 2; i++)
        {
            if (IsScalar(graph, node.Input[i], expected, tolerance) && !graph.TryGetConstant(node.Input[1 - i], out _))
            {
                return node.Input[1 - i];
            }
        }

        return null;
    }

    /// <summary>A tanh-approximated GELU found at its <c>Tanh</c>.</summary>
    /// <param name="X">The value GELU is applied to.</param>
    /// <param name="Last">The pattern's last node, whose output the fused <c>FastGelu</c> takes over.</param>
    /// <param name="Nodes">Every node of the pattern.</param>
    public sealed record Match(string X, NodeProto Last, IReadOnlyList<NodeProto> Nodes);
}
