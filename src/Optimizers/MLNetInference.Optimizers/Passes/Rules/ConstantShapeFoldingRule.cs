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
public sealed class ConstantShapeFoldingRule : RewriteRule
{
    /// <summary>The largest result the rule folds, in values.</summary>
    public const int MaxElements = 64;

    /// <inheritdoc />
    public override string Name => "constant-shape-folding";

    /// <inheritdoc />
    public override IReadOnlyList<string> TargetOpTypes { get; } = ["Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Add", "Sub", "Mul", "Div"];

    /// <inheritdoc />
    public override bool Match(OnnxGraph graph, NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(node);
        return node.Output.Count == 1
            && node.Output[0].Length > 0
            && !graph.IsGraphOutput(node.Output[0])
            && ShapeEvaluator.TryEvaluate(graph, node, MaxElements) is not null;
    }

    /// <inheritdoc />
    public override bool Rewrite(OnnxGraph graph, NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(node);
        if (!Match(graph, node))
        {
            return false;
        }

        var folded = ShapeEvaluator.TryEvaluate(graph, node, MaxElements)!;
        folded.Name = node.Output[0];
        graph.RemoveNode(node);
        graph.AddInitializer(folded);
        return true;
    }
}
