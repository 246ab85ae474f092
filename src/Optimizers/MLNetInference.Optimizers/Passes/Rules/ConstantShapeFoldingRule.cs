using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes.Internal;

namespace MLNetInference.Optimizers.Passes.Rules;

/// <summary>
/// Folds the integer shape arithmetic whose result is known before the model runs into an initializer:
/// <c>Shape</c> of a tensor whose dims are all static (an initializer, or a value whose declared shape has only fixed
/// dims), <c>Gather</c> of fixed dim indices from <c>Shape</c> of a partly symbolic tensor, and <c>Gather</c>,
/// <c>Unsqueeze</c>, <c>Squeeze</c>, <c>Concat</c>, <c>Cast</c>, <c>Slice</c>, <c>Add</c>, <c>Sub</c>, <c>Mul</c> and
/// <c>Div</c> over int64 (or int32) constants. Symbolic dims (batch, sequence) are never guessed.
/// </summary>
/// <remarks>
/// Only small results (at most <see cref="MaxElements"/> values) are folded, so that a folded model never grows; a
/// node whose output is a graph output stays. The <c>Constant</c> nodes that fed a folded node are removed by
/// <see cref="DeadCodeElimination"/>.
/// </remarks>
public sealed class ConstantShapeFoldingRule : RewriteRule<ConstantShapeFoldingRule.Match>
{
    /// <summary>The largest result the rule folds, in values.</summary>
    public const int MaxElements = 64;

    /// <inheritdoc />
    public override string Name => "constant-shape-folding";

    /// <inheritdoc />
    /// <remarks>
    /// <c>Unsqueeze</c> and <c>Squeeze</c> take their axes from the attribute (before 13) or the input (from 13);
    /// <c>Shape</c>'s <c>start</c> and <c>end</c> (from 15) are honoured; <c>Slice</c> from 10 (starts and ends as inputs),
    /// <c>Cast</c> from 6 (<c>to</c> as an integer), <c>Concat</c> from 4 (<c>axis</c> required) and the arithmetic from 7
    /// (broadcasting without the <c>broadcast</c> attribute).
    /// </remarks>
    public override IReadOnlyList<OpSpec> Targets { get; } =
    [
        OpSpec.Onnx("Shape", 1, 14), OpSpec.Onnx("Shape", 15), OpSpec.Onnx("Gather"), OpSpec.Onnx("Unsqueeze", 1, 12), OpSpec.Onnx("Unsqueeze", 13),
        OpSpec.Onnx("Squeeze", 1, 12), OpSpec.Onnx("Squeeze", 13), OpSpec.Onnx("Concat", 4), OpSpec.Onnx("Cast", 6), OpSpec.Onnx("Slice", 10),
        OpSpec.Onnx("Add", 7), OpSpec.Onnx("Sub", 7), OpSpec.Onnx("Mul", 7), OpSpec.Onnx("Div", 7),
    ];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Matches { get; } = [];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Emits { get; } = [];

    /// <inheritdoc />
    public override Match? TryMatch(OnnxGraph graph, NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(node);
        if (node.Output.Count != 1 || node.Output[0].Length == 0 || graph.IsGraphOutput(node.Output[0]))
        {
            return null;
        }

        return ShapeEvaluator.TryEvaluate(graph, node, MaxElements) is { } folded ? new Match(node, folded) : null;
    }

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, Match match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        var folded = match.Value.Clone();
        folded.Name = match.Node.Output[0];
        graph.RemoveNode(match.Node);
        graph.AddInitializer(folded);
    }

    /// <summary>A node whose output is known before the model runs.</summary>
    /// <param name="Node">The node.</param>
    /// <param name="Value">Its output, computed (unnamed).</param>
    public sealed record Match(NodeProto Node, TensorProto Value);
}
