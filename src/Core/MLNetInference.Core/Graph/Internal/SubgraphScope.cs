using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Core.Graph.Internal;

/// <summary>Finds the outer-scope values that a node's subgraphs (If/Loop/Scan bodies) read implicitly, and renames them.</summary>
internal static class SubgraphScope
{
    /// <summary>Returns the names a node's subgraphs read from the enclosing scope.</summary>
    public static HashSet<string> ImplicitInputs(NodeProto node)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var attribute in node.Attribute)
        {
            if (attribute.G is not null)
            {
                Collect(attribute.G, result);
            }

            foreach (var graph in attribute.Graphs)
            {
                Collect(graph, result);
            }
        }

        return result;
    }

    /// <summary>Tells whether a node carries subgraphs.</summary>
    public static bool HasSubgraphs(NodeProto node)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.G is not null || attribute.Graphs.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Renames outer-scope reads of <paramref name="oldName"/> inside a node's subgraphs.</summary>
    public static void Rename(NodeProto node, string oldName, string newName)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.G is not null)
            {
                Rename(attribute.G, oldName, newName);
            }

            foreach (var graph in attribute.Graphs)
            {
                Rename(graph, oldName, newName);
            }
        }
    }

    private static void Collect(GraphProto graph, HashSet<string> result)
    {
        var local = LocalNames(graph);
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input)
            {
                if (input.Length > 0 && !local.Contains(input))
                {
                    result.Add(input);
                }
            }

            foreach (var inner in ImplicitInputs(node))
            {
                if (!local.Contains(inner))
                {
                    result.Add(inner);
                }
            }
        }

        foreach (var output in graph.Output)
        {
            if (!local.Contains(output.Name))
            {
                result.Add(output.Name);
            }
        }
    }

    private static void Rename(GraphProto graph, string oldName, string newName)
    {
        if (LocalNames(graph).Contains(oldName))
        {
            // The subgraph shadows the name; its reads refer to its own value.
            return;
        }

        foreach (var node in graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == oldName)
                {
                    node.Input[i] = newName;
                }
            }

            Rename(node, oldName, newName);
        }

        foreach (var output in graph.Output)
        {
            if (output.Name == oldName)
            {
                output.Name = newName;
            }
        }
    }

    private static HashSet<string> LocalNames(GraphProto graph)
    {
        var local = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in graph.Input)
        {
            local.Add(input.Name);
        }

        foreach (var init in graph.Initializer)
        {
            local.Add(init.Name);
        }

        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                local.Add(output);
            }
        }

        return local;
    }
}
