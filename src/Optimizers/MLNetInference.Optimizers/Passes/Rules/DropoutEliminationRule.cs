using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes.Internal;

namespace MLNetInference.Optimizers.Passes.Rules;

/// <summary>
/// Removes a <c>Dropout</c> node that runs in inference mode (it then copies its input), as long as nothing reads its
/// mask output. A Dropout whose <c>training_mode</c> is not a constant false, or whose old-style <c>is_test</c> is 0,
/// stays.
/// </summary>
public sealed class DropoutEliminationRule : RewriteRule
{
    /// <inheritdoc />
    public override string Name => "dropout-elimination";

    /// <inheritdoc />
    public override IReadOnlyList<string> TargetOpTypes { get; } = ["Dropout"];

    /// <inheritdoc />
    public override bool Match(OnnxGraph graph, NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(node);
        if (node.Input.Count == 0 || node.Output.Count == 0)
        {
            return false;
        }

        if (node.Output.Count > 1 && node.Output[1].Length > 0 && graph.IsUsed(node.Output[1]))
        {
            return false;
        }

        foreach (var attribute in node.Attribute)
        {
            if (attribute.Name == "is_test" && attribute.I == 0)
            {
                return false;
            }
        }

        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            if (!graph.TryGetConstant(node.Input[2], out var training)
                || !TryReadBool(training, out var isTraining)
                || isTraining)
            {
                return false;
            }
        }

        return ValueForwarding.CanBypass(graph, node.Input[0], node.Output[0]);
    }

    /// <inheritdoc />
    public override bool Rewrite(OnnxGraph graph, NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(node);
        ValueForwarding.Bypass(graph, node, node.Input[0], node.Output[0]);
        return true;
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
