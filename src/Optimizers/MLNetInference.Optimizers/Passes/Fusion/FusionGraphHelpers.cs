using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using static MLNetInference.Core.Graph.OpsetInfo;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>Small pattern-matching helpers shared by the fusion rules.</summary>
internal static class FusionGraphHelpers
{
    /// <summary>Gets a value's only reader, when exactly one node reads it and it is not a graph output.</summary>
    public static NodeProto? SingleConsumer(OnnxGraph graph, string value, string? opType = null)
    {
        if (graph.IsGraphOutput(value))
        {
            return null;
        }

        var consumers = graph.GetConsumers(value);
        if (consumers.Count != 1)
        {
            return null;
        }

        var consumer = consumers[0];
        if (opType is not null && (consumer.OpType != opType || !IsOnnxDomain(consumer)))
        {
            return null;
        }

        return consumer;
    }

    /// <summary>Tells whether a value is used only by the given node (and is not a graph output).</summary>
    public static bool OnlyUsedBy(OnnxGraph graph, string value, NodeProto node) =>
        !graph.IsGraphOutput(value) && graph.GetConsumers(value) is { Count: 1 } c && ReferenceEquals(c[0], node);

    /// <summary>Reads a constant float scalar (a tensor of one element).</summary>
    public static bool TryGetScalar(OnnxGraph graph, string value, out float scalar)
    {
        scalar = 0;
        if (value.Length == 0 || !graph.TryGetConstant(value, out var tensor) || tensor.ElementCount != 1
            || !tensor.TryReadFloat(out var values) || values.Length != 1)
        {
            return false;
        }

        scalar = values[0];
        return true;
    }

    /// <summary>Tells whether a value is a constant float scalar close to <paramref name="expected"/>.</summary>
    public static bool IsScalar(OnnxGraph graph, string value, float expected, float tolerance = 1e-4f) =>
        TryGetScalar(graph, value, out var scalar) && MathF.Abs(scalar - expected) <= tolerance;

    /// <summary>Tells whether a value is a constant one-dimensional float tensor.</summary>
    public static bool IsFloatVector(OnnxGraph graph, string value) =>
        value.Length > 0
        && graph.TryGetConstant(value, out var tensor)
        && tensor.ElementType == TensorProto.Types.DataType.Float
        && tensor.Dims.Count == 1;

    /// <summary>Gets the length of a constant vector, or -1.</summary>
    public static long VectorLength(OnnxGraph graph, string value) =>
        graph.TryGetConstant(value, out var tensor) && tensor.Dims.Count == 1 ? tensor.Dims[0] : -1;

    /// <summary>Gets the node's other input of two, or <see langword="null"/> when <paramref name="value"/> is not an input.</summary>
    public static string? OtherInput(NodeProto node, string value)
    {
        if (node.Input.Count != 2)
        {
            return null;
        }

        return node.Input[0] == value ? node.Input[1] : node.Input[1] == value ? node.Input[0] : null;
    }

    /// <summary>Gets an integer attribute.</summary>
    public static long GetInt(NodeProto node, string name, long fallback)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.Name == name)
            {
                return attribute.I;
            }
        }

        return fallback;
    }

    /// <summary>Tells whether a ReduceMean reduces only the last axis and keeps its dimensions.</summary>
    public static bool IsLastAxisReduceMean(OnnxGraph graph, NodeProto node)
    {
        if (node.OpType != "ReduceMean" || !IsOnnxDomain(node) || GetInt(node, "keepdims", 1) != 1)
        {
            return false;
        }

        long[]? axes = null;
        foreach (var attribute in node.Attribute)
        {
            if (attribute.Name == "axes")
            {
                axes = [.. attribute.Ints];
            }
        }

        if (axes is null && node.Input.Count > 1 && node.Input[1].Length > 0
            && graph.TryGetConstant(node.Input[1], out var tensor) && tensor.TryReadInt64(out var values))
        {
            axes = values;
        }

        return axes is [-1];
    }

    /// <summary>Makes a float attribute.</summary>
    public static AttributeProto FloatAttribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>Makes an integer attribute.</summary>
    public static AttributeProto IntAttribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>
    /// Removes nodes, then, working upstream, every node in the default domain that fed them and is now unread
    /// (its <c>Constant</c> operands, a shared mask computation once its last reader is gone), and the initializers
    /// nothing reads any more.
    /// </summary>
    /// <param name="graph">The graph.</param>
    /// <param name="nodes">The nodes a fused node replaces.</param>
    /// <param name="addReplacement">Adds the fused node; it runs after the nodes are removed and before the cleanup.</param>
    public static void ReplaceNodes(OnnxGraph graph, IEnumerable<NodeProto> nodes, Action addReplacement)
    {
        var pending = new Stack<string>();
        foreach (var node in nodes)
        {
            if (graph.RemoveNode(node))
            {
                foreach (var input in node.Input)
                {
                    pending.Push(input);
                }
            }
        }

        addReplacement();
        while (pending.Count > 0)
        {
            var value = pending.Pop();
            if (value.Length == 0 || graph.IsUsed(value))
            {
                continue;
            }

            var producer = graph.GetProducer(value);
            if (producer is null)
            {
                if (graph.Initializers.ContainsKey(value) && !graph.IsGraphInput(value))
                {
                    graph.RemoveInitializer(value);
                }

                continue;
            }

            if (!IsOnnxDomain(producer) || producer.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)
                || producer.Output.Any(o => o.Length > 0 && graph.IsUsed(o)))
            {
                continue;
            }

            graph.RemoveNode(producer);
            foreach (var input in producer.Input)
            {
                pending.Push(input);
            }
        }
    }
}
