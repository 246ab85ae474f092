using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes.Internal;

namespace MLNetInference.Optimizers.Passes.Rules;

/// <summary>
/// Removes a <c>Dropout</c> node that runs in inference mode (it then copies its input), as long as nothing reads its
/// mask output. A Dropout whose <c>training_mode</c> is not a constant false, or whose old-style <c>is_test</c> is 0,
/// stays.
/// </summary>
public sealed class DropoutEliminationRule : RewriteRule<ValueForwardingMatch>
{
    /// <inheritdoc />
    public override string Name => "dropout-elimination";

    /// <inheritdoc />
    /// <remarks>
    /// From 7, where a Dropout without <c>is_test</c> runs in inference mode (before 7 <c>is_test</c> defaults to 0,
    /// training); from 12 <c>ratio</c> and <c>training_mode</c> are inputs, and <c>training_mode</c> must be a constant false.
    /// </remarks>
    public override IReadOnlyList<OpSpec> Targets { get; } = [OpSpec.Onnx("Dropout", 7, 11), OpSpec.Onnx("Dropout", 12)];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Matches { get; } = [];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Emits { get; } = [];

    /// <inheritdoc />
    public override ValueForwardingMatch? TryMatch(OnnxGraph graph, NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(node);
        if (node.Input.Count == 0 || node.Output.Count == 0)
        {
            return null;
        }

        if (node.Output.Count > 1 && node.Output[1].Length > 0 && graph.IsUsed(node.Output[1]))
        {
            return null;
        }

        foreach (var attribute in node.Attribute)
        {
            if (attribute.Name == "is_test" && attribute.I == 0)
            {
                return null;
            }
        }

        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            if (!graph.TryGetConstant(node.Input[2], out var training)
                || !TryReadBool(training, out var isTraining)
                || isTraining)
            {
                return null;
            }
        }

        return ValueForwarding.CanBypass(graph, node.Input[0], node.Output[0]) ? new ValueForwardingMatch(node, node.Input[0], node.Output[0]) : null;
    }

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, ValueForwardingMatch match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        ValueForwarding.Bypass(graph, match.Node, match.Source, match.Target);
    }

    private static bool TryReadBool(GraphTensor tensor, out bool value)
    {
        value = false;
        if (tensor.ElementType != TensorProto.Types.DataType.Bool)
        {
            return false;
        }

        var proto = tensor.Proto;
        if (!proto.RawData.IsEmpty)
        {
            value = proto.RawData.Span[0] != 0;
            return true;
        }

        if (proto.Int32Data.Count > 0)
        {
            value = proto.Int32Data[0] != 0;
            return true;
        }

        return false;
    }
}
