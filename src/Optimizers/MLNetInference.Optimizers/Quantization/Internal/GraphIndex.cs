using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Quantization.Internal;

/// <summary>
/// A small index over one <see cref="GraphProto"/> for the quantization rewrites: initializers by name, the nodes
/// that read each value, the graph's outputs and inputs, and every name in use (for fresh names).
/// </summary>
internal sealed class GraphIndex
{
    private readonly GraphProto _graph;
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphInputs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GraphIndex(GraphProto graph)
    {
        _graph = graph;
        foreach (var tensor in graph.Initializer)
        {
            _initializers[tensor.Name] = tensor;
            _names.Add(tensor.Name);
        }

        foreach (var input in graph.Input)
        {
            _graphInputs.Add(input.Name);
            _names.Add(input.Name);
        }

        foreach (var output in graph.Output)
        {
            _graphOutputs.Add(output.Name);
        }

        foreach (var node in graph.Node)
        {
            AddNode(node);
        }
    }

    /// <summary>Gets the initializer named <paramref name="name"/> unless a graph input of that name may override it.</summary>
    public TensorProto? ConstantInitializer(string name) =>
        !string.IsNullOrEmpty(name) && !_graphInputs.Contains(name) && _initializers.TryGetValue(name, out var tensor) ? tensor : null;

    /// <summary>Gets the nodes that read <paramref name="value"/>.</summary>
    public IReadOnlyList<NodeProto> Consumers(string value) =>
        _consumers.TryGetValue(value, out var list) ? list : [];

    public bool IsGraphOutput(string value) => _graphOutputs.Contains(value);

    /// <summary>Returns <paramref name="baseName"/>, or it with a numeric suffix, so that the name is not yet used, and reserves it.</summary>
    public string FreshName(string baseName)
    {
        var name = baseName;
        for (var i = 1; !_names.Add(name); i++)
        {
            name = $"{baseName}_{i}";
        }

        return name;
    }

    public void AddInitializer(TensorProto tensor)
    {
        _graph.Initializer.Add(tensor);
        _initializers[tensor.Name] = tensor;
        _names.Add(tensor.Name);
    }

    /// <summary>Replaces <paramref name="oldNode"/> by <paramref name="newNode"/> at the same position.</summary>
    public void Replace(NodeProto oldNode, NodeProto newNode)
    {
        var position = _graph.Node.IndexOf(oldNode);
        if (position < 0)
        {
            throw new InvalidOperationException($"Node '{oldNode.Name}' is not in the graph.");
        }

        RemoveNodeReads(oldNode);
        _graph.Node[position] = newNode;
        AddNode(newNode);
    }

    public void Remove(NodeProto node)
    {
        RemoveNodeReads(node);
        _graph.Node.Remove(node);
    }

    /// <summary>
    /// Removes the initializers among <paramref name="candidates"/> that no node (subgraphs included) reads and
    /// that are not graph outputs; returns how many were removed.
    /// </summary>
    public int RemoveUnreferencedInitializers(IEnumerable<string> candidates)
    {
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        CollectReads(_graph, referenced);
        referenced.UnionWith(_graphOutputs);
        var removed = 0;
        foreach (var name in candidates.Distinct(StringComparer.Ordinal).ToList())
        {
            if (referenced.Contains(name) || !_initializers.TryGetValue(name, out var tensor))
            {
                continue;
            }

            _graph.Initializer.Remove(tensor);
            _initializers.Remove(name);
            var input = _graph.Input.FirstOrDefault(i => i.Name == name);
            if (input is not null)
            {
                _graph.Input.Remove(input);
            }

            removed++;
        }

        return removed;
    }

    private static void CollectReads(GraphProto graph, HashSet<string> into)
    {
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input)
            {
                into.Add(input);
            }

            foreach (var attribute in node.Attribute)
            {
                if (attribute.G is { } sub)
                {
                    CollectReads(sub, into);
                }

                foreach (var g in attribute.Graphs)
                {
                    CollectReads(g, into);
                }
            }
        }
    }

    private void AddNode(NodeProto node)
    {
        foreach (var input in node.Input)
        {
            if (input.Length == 0)
            {
                continue;
            }

            if (!_consumers.TryGetValue(input, out var list))
            {
                list = [];
                _consumers[input] = list;
            }

            list.Add(node);
        }

        foreach (var output in node.Output)
        {
            _names.Add(output);
        }

        _names.Add(node.Name);
    }

    private void RemoveNodeReads(NodeProto node)
    {
        foreach (var input in node.Input)
        {
            if (_consumers.TryGetValue(input, out var list))
            {
                list.Remove(node);
            }
        }
    }
}
