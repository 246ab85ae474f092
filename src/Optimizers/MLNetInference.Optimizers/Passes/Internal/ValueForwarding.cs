using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Passes.Internal;

/// <summary>Removes a node that only forwards one value to another (Identity, inference-mode Dropout).</summary>
internal static class ValueForwarding
{
    /// <summary>Tells whether a forwarding node from <paramref name="source"/> to <paramref name="target"/> can be removed.</summary>
    public static bool CanBypass(OnnxGraph graph, string source, string target)
    {
        if (source.Length == 0 || target.Length == 0)
        {
            return false;
        }

        if (!graph.IsGraphOutput(target))
        {
            return true;
        }

        // The graph output keeps its name, so the source must be renamed to it: only a node output that is not itself
        // a graph output can be.
        return graph.GetProducer(source) is not null && !graph.IsGraphOutput(source) && !graph.IsGraphInput(source);
    }

    /// <summary>Removes the node and makes the readers of <paramref name="target"/> read <paramref name="source"/>.</summary>
    public static void Bypass(OnnxGraph graph, NodeProto node, string source, string target)
    {
        graph.RemoveNode(node);
        if (graph.IsGraphOutput(target))
        {
            graph.RenameValue(source, target);
        }
        else
        {
            graph.ReplaceAllUses(target, source);
        }
    }
}
