using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Passes;

/// <summary>
/// Cleanup: removes nodes none of whose outputs is read (by a node, a subgraph or the graph outputs), and
/// initializers nothing reads. Initializers that are also graph inputs stay, since a caller may feed them.
/// </summary>
public sealed class DeadCodeElimination : ModelPass
{
    /// <inheritdoc />
    public override string Name => "dead-code-elimination";

    /// <inheritdoc />
    protected override bool RunCore(ModelProto model)
    {
        var graph = new OnnxGraph(model);
        var changed = false;
        var order = graph.TopologicalOrder();

        // Readers come after their producers, so walking backwards frees whole dead chains in one sweep.
        for (var i = order.Count - 1; i >= 0; i--)
        {
            var node = order[i];
            var live = false;
            foreach (var output in node.Output)
            {
                if (output.Length > 0 && graph.IsUsed(output))
                {
                    live = true;
                    break;
                }
            }

            if (!live)
            {
                graph.RemoveNode(node);
                changed = true;
            }
        }

        foreach (var name in graph.Initializers.Keys.ToArray())
        {
            if (!graph.IsUsed(name) && !graph.IsGraphInput(name))
            {
                graph.RemoveInitializer(name);
                changed = true;
            }
        }

        if (changed)
        {
            graph.Commit();
        }

        return changed;
    }
}
