using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph.Internal;

namespace MLNetInference.Core.Graph;

/// <summary>
/// An editable view over a model's main <see cref="GraphProto"/>: nodes, values with their producer and consumers,
/// initializers as typed tensors, graph inputs and outputs, and the opsets the model imports.
/// </summary>
/// <remarks>
/// <para>
/// Nodes are the model's own <see cref="NodeProto"/> objects; edit them through this class (<see cref="SetInput"/>,
/// <see cref="ReplaceAllUses"/>, <see cref="RenameValue"/>, <see cref="AddNode(NodeProto)"/>, <see cref="RemoveNode"/>)
/// so that the producer and consumer maps stay right. Initializer edits (<see cref="AddInitializer"/>,
/// <see cref="RemoveInitializer"/>) go straight to the proto. Node additions and removals reach the proto at
/// <see cref="Commit"/>, which writes the nodes back in topological order.
/// </para>
/// <para>
/// A node whose subgraphs (If/Loop/Scan bodies) read a value of this graph counts as one of its consumers.
/// </para>
/// </remarks>
public sealed class OnnxGraph
{
    private readonly List<NodeProto> _nodes;
    private readonly HashSet<NodeProto> _nodeSet = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphInputs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _opsets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _nameCounters = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="OnnxGraph"/> class over a model's main graph.</summary>
    /// <param name="model">The model; its graph is edited in place.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="OnnxFormatException">The model has no graph, or two nodes produce the same value.</exception>
    public OnnxGraph(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Proto = model.Graph ?? throw new OnnxFormatException("The model has no graph.");
        foreach (var opset in model.OpsetImport)
        {
            _opsets[NormalizeDomain(opset.Domain)] = opset.Version;
        }

        foreach (var input in Proto.Input)
        {
            _graphInputs.Add(input.Name);
            _names.Add(input.Name);
        }

        foreach (var init in Proto.Initializer)
        {
            _initializers[init.Name] = init;
            _names.Add(init.Name);
        }

        foreach (var output in Proto.Output)
        {
            _names.Add(output.Name);
        }

        _nodes = new List<NodeProto>(Proto.Node.Count);
        foreach (var node in Proto.Node)
        {
            Index(node);
            _nodes.Add(node);
            _nodeSet.Add(node);
        }
    }

    /// <summary>Gets the model whose graph this is.</summary>
    public ModelProto Model { get; }

    /// <summary>Gets the graph proto this view edits.</summary>
    public GraphProto Proto { get; }

    /// <summary>Gets the nodes, in the order they were read or added (not necessarily topological).</summary>
    public IReadOnlyList<NodeProto> Nodes => _nodes;

    /// <summary>Gets the graph's initializers by name.</summary>
    public IReadOnlyDictionary<string, TensorProto> Initializers => _initializers;

    /// <summary>Gets the names of the graph inputs that are not initializers (the inputs a caller feeds).</summary>
    public IReadOnlyList<string> Inputs
    {
        get
        {
            var result = new List<string>(Proto.Input.Count);
            foreach (var input in Proto.Input)
            {
                if (!_initializers.ContainsKey(input.Name))
                {
                    result.Add(input.Name);
                }
            }

            return result;
        }
    }

    /// <summary>Gets the names of the graph outputs.</summary>
    public IReadOnlyList<string> Outputs
    {
        get
        {
            var result = new List<string>(Proto.Output.Count);
            foreach (var output in Proto.Output)
            {
                result.Add(output.Name);
            }

            return result;
        }
    }

    /// <summary>Gets the opset version the model imports for a domain.</summary>
    /// <param name="domain">The domain; <c>""</c> and <c>"ai.onnx"</c> both mean the default domain.</param>
    /// <returns>The version, or <see langword="null"/> when the model does not import the domain.</returns>
    public long? GetOpsetVersion(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return _opsets.TryGetValue(NormalizeDomain(domain), out var version) ? version : null;
    }

    /// <summary>Adds an opset import, or raises its version when the model imports an older one.</summary>
    /// <param name="domain">The domain, such as <c>com.microsoft</c>.</param>
    /// <param name="version">The version needed.</param>
    public void EnsureOpset(string domain, long version)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var key = NormalizeDomain(domain);
        foreach (var opset in Model.OpsetImport)
        {
            if (NormalizeDomain(opset.Domain) == key)
            {
                if (opset.Version < version)
                {
                    opset.Version = version;
                    _opsets[key] = version;
                }

                return;
            }
        }

        Model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        _opsets[key] = version;
    }

    /// <summary>Tells whether a value is a graph input (including an initializer listed as an input).</summary>
    /// <param name="value">The value's name.</param>
    /// <returns><see langword="true"/> when it is a graph input.</returns>
    public bool IsGraphInput(string value) => _graphInputs.Contains(value);

    /// <summary>Tells whether a value is a graph output.</summary>
    /// <param name="value">The value's name.</param>
    /// <returns><see langword="true"/> when it is a graph output.</returns>
    public bool IsGraphOutput(string value)
    {
        foreach (var output in Proto.Output)
        {
            if (output.Name == value)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Gets the node that produces a value.</summary>
    /// <param name="value">The value's name.</param>
    /// <returns>The producer, or <see langword="null"/> for a graph input, an initializer or an unknown name.</returns>
    public NodeProto? GetProducer(string value) => _producers.TryGetValue(value, out var node) ? node : null;

    /// <summary>Gets the nodes that read a value, each once.</summary>
    /// <param name="value">The value's name.</param>
    /// <returns>The consumers, in no particular order; empty when nothing reads the value.</returns>
    public IReadOnlyList<NodeProto> GetConsumers(string value) =>
        _consumers.TryGetValue(value, out var list) ? list.ToArray() : [];

    /// <summary>Tells whether anything reads a value: a node, a subgraph, or the graph's outputs.</summary>
    /// <param name="value">The value's name.</param>
    /// <returns><see langword="true"/> when the value is used.</returns>
    public bool IsUsed(string value) =>
        (_consumers.TryGetValue(value, out var list) && list.Count > 0) || IsGraphOutput(value);

    /// <summary>Gets the producer of one of a node's inputs, optionally requiring its op type.</summary>
    /// <param name="node">The node.</param>
    /// <param name="inputIndex">Which input.</param>
    /// <param name="opType">The op type the producer must have, or <see langword="null"/> for any.</param>
    /// <returns>The producer, or <see langword="null"/> when there is none or it has another op type.</returns>
    public NodeProto? GetInputProducer(NodeProto node, int inputIndex, string? opType = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (inputIndex < 0 || inputIndex >= node.Input.Count || node.Input[inputIndex].Length == 0)
        {
            return null;
        }

        var producer = GetProducer(node.Input[inputIndex]);
        return producer is not null && (opType is null || producer.OpType == opType) ? producer : null;
    }

    /// <summary>Gets an initializer as a typed tensor.</summary>
    /// <param name="name">The initializer's name.</param>
    /// <param name="tensor">The tensor.</param>
    /// <returns><see langword="false"/> when no initializer has that name.</returns>
    public bool TryGetInitializer(string name, out GraphTensor tensor)
    {
        if (_initializers.TryGetValue(name, out var proto))
        {
            tensor = new GraphTensor(proto);
            return true;
        }

        tensor = null!;
        return false;
    }

    /// <summary>Gets an initializer that a caller cannot override through a graph input, as its proto.</summary>
    /// <param name="name">The initializer's name.</param>
    /// <returns>The initializer, or <see langword="null"/> when there is none of that name or a graph input of that name may override it.</returns>
    /// <remarks>Unlike <see cref="TryGetConstant"/>, the output of a <c>Constant</c> node does not count.</remarks>
    public TensorProto? GetConstantInitializer(string name) =>
        !string.IsNullOrEmpty(name) && !_graphInputs.Contains(name) && _initializers.TryGetValue(name, out var tensor) ? tensor : null;

    /// <summary>
    /// Gets a value that is constant: an initializer that a caller cannot override through a graph input, or the output
    /// of a <c>Constant</c> node with a <c>value</c> tensor.
    /// </summary>
    /// <param name="value">The value's name.</param>
    /// <param name="tensor">The constant.</param>
    /// <returns><see langword="false"/> when the value is not a known constant.</returns>
    public bool TryGetConstant(string value, out GraphTensor tensor)
    {
        tensor = null!;
        if (_initializers.TryGetValue(value, out var proto))
        {
            if (_graphInputs.Contains(value))
            {
                return false;
            }

            tensor = new GraphTensor(proto);
            return true;
        }

        var producer = GetProducer(value);
        if (producer is { OpType: "Constant" } && NormalizeDomain(producer.Domain).Length == 0)
        {
            foreach (var attribute in producer.Attribute)
            {
                if (attribute.Name == "value" && attribute.T is not null)
                {
                    tensor = new GraphTensor(attribute.T);
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Adds a node built from its parts.</summary>
    /// <param name="opType">The op type.</param>
    /// <param name="inputs">Its input value names (<c>""</c> for an omitted optional input).</param>
    /// <param name="outputs">Its output value names.</param>
    /// <param name="name">The node's name; a unique one is generated when <see langword="null"/>.</param>
    /// <param name="domain">The op's domain; <c>""</c> for the default domain.</param>
    /// <param name="attributes">Its attributes.</param>
    /// <returns>The node added.</returns>
    /// <exception cref="InvalidOperationException">An output is already produced by another node, or is a graph input or initializer.</exception>
    public NodeProto AddNode(
        string opType,
        IEnumerable<string> inputs,
        IEnumerable<string> outputs,
        string? name = null,
        string domain = "",
        IEnumerable<AttributeProto>? attributes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(domain);
        var node = new NodeProto { OpType = opType, Domain = domain, Name = name ?? GenerateUniqueName(opType) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        if (attributes is not null)
        {
            node.Attribute.AddRange(attributes);
        }

        return AddNode(node);
    }

    /// <summary>Adds a node.</summary>
    /// <param name="node">The node; it becomes part of the graph.</param>
    /// <returns><paramref name="node"/>.</returns>
    /// <exception cref="InvalidOperationException">An output is already produced by another node, or is a graph input or initializer.</exception>
    public NodeProto AddNode(NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (_nodeSet.Contains(node))
        {
            throw new InvalidOperationException($"Node {Describe(node)} is already in the graph.");
        }

        foreach (var output in node.Output)
        {
            if (output.Length == 0)
            {
                continue;
            }

            if (_producers.ContainsKey(output) || _initializers.ContainsKey(output) || _graphInputs.Contains(output))
            {
                throw new InvalidOperationException(
                    $"Cannot add node '{node.Name}' ({node.OpType}): its output '{output}' is already defined in the graph.");
            }
        }

        Index(node);
        _nodes.Add(node);
        _nodeSet.Add(node);
        return node;
    }

    /// <summary>Removes a node. Its outputs lose their producer; readers of those outputs must be rewired first.</summary>
    /// <param name="node">The node.</param>
    /// <returns><see langword="false"/> when the node is not in the graph.</returns>
    public bool RemoveNode(NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!_nodeSet.Remove(node))
        {
            return false;
        }

        _nodes.RemoveAt(IndexOfNode(node));
        Unindex(node);
        return true;
    }

    /// <summary>
    /// Replaces a node by another at the same position in <see cref="Nodes"/>. The replacement may define the outputs the
    /// node defined; readers of those values then read the replacement's.
    /// </summary>
    /// <param name="node">A node of this graph.</param>
    /// <param name="replacement">A node not yet in the graph.</param>
    /// <exception cref="InvalidOperationException"><paramref name="node"/> is not in the graph, <paramref name="replacement"/> already is, or
    /// an output of the replacement is defined elsewhere in the graph (the graph is then left as it was).</exception>
    public void ReplaceNode(NodeProto node, NodeProto replacement)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(replacement);
        if (!_nodeSet.Contains(node))
        {
            throw new InvalidOperationException($"Cannot replace node {Describe(node)}: it is not in the graph.");
        }

        var position = IndexOfNode(node);
        RemoveNode(node);
        try
        {
            AddNode(replacement);
        }
        catch (InvalidOperationException)
        {
            AddNode(node);
            _nodes.RemoveAt(_nodes.Count - 1);
            _nodes.Insert(position, node);
            throw;
        }

        _nodes.RemoveAt(_nodes.Count - 1);
        _nodes.Insert(position, replacement);
    }

    /// <summary>
    /// Edits a node in place (its op type, inputs, outputs or attributes) and indexes it again, so that the producer and
    /// consumer maps stay right.
    /// </summary>
    /// <param name="node">A node of this graph.</param>
    /// <param name="edit">The change.</param>
    /// <exception cref="InvalidOperationException"><paramref name="node"/> is not in the graph, or after the edit one of its outputs is
    /// also defined elsewhere in the graph.</exception>
    public void UpdateNode(NodeProto node, Action<NodeProto> edit)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(edit);
        if (!_nodeSet.Contains(node))
        {
            throw new InvalidOperationException($"Cannot edit node {Describe(node)}: it is not in the graph.");
        }

        Unindex(node);
        edit(node);
        foreach (var output in node.Output)
        {
            if (output.Length > 0
                && ((_producers.TryGetValue(output, out var other) && !ReferenceEquals(other, node)) || _initializers.ContainsKey(output) || _graphInputs.Contains(output)))
            {
                throw new InvalidOperationException(
                    $"After editing node {Describe(node)}, its output '{output}' is also defined elsewhere in the graph.");
            }
        }

        Index(node);
    }

    /// <summary>Tells whether a node is in the graph.</summary>
    /// <param name="node">The node.</param>
    /// <returns><see langword="true"/> when it is.</returns>
    public bool Contains(NodeProto node) => node is not null && _nodeSet.Contains(node);

    /// <summary>Sets one input of a node, keeping the consumer maps right.</summary>
    /// <param name="node">A node of this graph.</param>
    /// <param name="index">The input's position.</param>
    /// <param name="value">The value it should read (<c>""</c> to omit an optional input).</param>
    public void SetInput(NodeProto node, int index, string value)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, node.Input.Count);
        foreach (var used in Uses(node))
        {
            RemoveConsumer(used, node);
        }

        node.Input[index] = value;
        foreach (var used in Uses(node))
        {
            AddConsumer(used, node);
        }
    }

    /// <summary>
    /// Makes every node (and subgraph) that reads <paramref name="oldValue"/> read <paramref name="newValue"/> instead.
    /// Graph outputs are not renamed; use <see cref="RenameValue"/> for that.
    /// </summary>
    /// <param name="oldValue">The value to stop reading.</param>
    /// <param name="newValue">The value to read instead.</param>
    /// <returns>How many nodes were rewired.</returns>
    public int ReplaceAllUses(string oldValue, string newValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(oldValue);
        ArgumentException.ThrowIfNullOrEmpty(newValue);
        if (oldValue == newValue || !_consumers.TryGetValue(oldValue, out var consumers))
        {
            return 0;
        }

        var nodes = consumers.ToArray();
        foreach (var node in nodes)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == oldValue)
                {
                    node.Input[i] = newValue;
                }
            }

            SubgraphScope.Rename(node, oldValue, newValue);
            RemoveConsumer(oldValue, node);
            AddConsumer(newValue, node);
        }

        return nodes.Length;
    }

    /// <summary>
    /// Renames a value everywhere: its producer's output, every reader, the graph outputs and <c>value_info</c>.
    /// </summary>
    /// <param name="oldName">The value's name; it must be a node output (not a graph input or initializer).</param>
    /// <param name="newName">The new name; nothing in the graph may define it yet.</param>
    /// <exception cref="InvalidOperationException">The value has no producer, or <paramref name="newName"/> is already defined.</exception>
    public void RenameValue(string oldName, string newName)
    {
        ArgumentException.ThrowIfNullOrEmpty(oldName);
        ArgumentException.ThrowIfNullOrEmpty(newName);
        if (oldName == newName)
        {
            return;
        }

        if (!_producers.TryGetValue(oldName, out var producer))
        {
            throw new InvalidOperationException($"Cannot rename '{oldName}': no node produces it.");
        }

        if (_producers.ContainsKey(newName) || _initializers.ContainsKey(newName) || _graphInputs.Contains(newName))
        {
            throw new InvalidOperationException($"Cannot rename '{oldName}' to '{newName}': '{newName}' is already defined.");
        }

        for (var i = 0; i < producer.Output.Count; i++)
        {
            if (producer.Output[i] == oldName)
            {
                producer.Output[i] = newName;
            }
        }

        _producers.Remove(oldName);
        _producers[newName] = producer;
        _names.Add(newName);
        ReplaceAllUses(oldName, newName);
        foreach (var output in Proto.Output)
        {
            if (output.Name == oldName)
            {
                output.Name = newName;
            }
        }

        foreach (var info in Proto.ValueInfo)
        {
            if (info.Name == oldName)
            {
                info.Name = newName;
            }
        }
    }

    /// <summary>Adds an initializer to the graph proto.</summary>
    /// <param name="tensor">The tensor; its name must be unique in the graph.</param>
    /// <returns>The initializer as a typed tensor.</returns>
    /// <exception cref="InvalidOperationException">The name is already defined.</exception>
    public GraphTensor AddInitializer(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentException.ThrowIfNullOrEmpty(tensor.Name);
        if (_initializers.ContainsKey(tensor.Name) || _producers.ContainsKey(tensor.Name) || _graphInputs.Contains(tensor.Name))
        {
            throw new InvalidOperationException($"Cannot add initializer '{tensor.Name}': the name is already defined in the graph.");
        }

        Proto.Initializer.Add(tensor);
        _initializers[tensor.Name] = tensor;
        _names.Add(tensor.Name);
        return new GraphTensor(tensor);
    }

    /// <summary>Removes an initializer from the graph proto (and from the graph inputs, when it is listed there).</summary>
    /// <param name="name">The initializer's name.</param>
    /// <returns><see langword="false"/> when there is no such initializer.</returns>
    public bool RemoveInitializer(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_initializers.Remove(name, out var tensor))
        {
            return false;
        }

        for (var i = 0; i < Proto.Initializer.Count; i++)
        {
            if (ReferenceEquals(Proto.Initializer[i], tensor))
            {
                Proto.Initializer.RemoveAt(i);
                break;
            }
        }

        if (_graphInputs.Remove(name))
        {
            for (var i = Proto.Input.Count - 1; i >= 0; i--)
            {
                if (Proto.Input[i].Name == name)
                {
                    Proto.Input.RemoveAt(i);
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Removes those of the named initializers that nothing reads any more: no node, no subgraph and no graph output.
    /// An initializer that is also a graph input stays, since a caller may feed it.
    /// </summary>
    /// <param name="names">The candidates, typically the weights a pass replaced; names that are not initializers are ignored.</param>
    /// <returns>How many initializers were removed.</returns>
    public int RemoveUnusedInitializers(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var removed = 0;
        foreach (var name in names.Distinct(StringComparer.Ordinal).ToList())
        {
            if (_initializers.ContainsKey(name) && !_graphInputs.Contains(name) && !IsUsed(name) && RemoveInitializer(name))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Returns a name no value, node or initializer of the graph uses yet, and reserves it.</summary>
    /// <param name="prefix">The preferred name; a numeric suffix is added when it is taken.</param>
    /// <returns>The unique name.</returns>
    public string GenerateUniqueName(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (_names.Add(prefix))
        {
            return prefix;
        }

        _nameCounters.TryGetValue(prefix, out var counter);
        string candidate;
        do
        {
            counter++;
            candidate = $"{prefix}_{counter}";
        }
        while (!_names.Add(candidate));
        _nameCounters[prefix] = counter;
        return candidate;
    }

    /// <summary>Orders the nodes so that every node comes after the producers of the values it reads.</summary>
    /// <returns>The nodes in topological order; among ready nodes, the current order is kept.</returns>
    /// <exception cref="OnnxFormatException">The graph has a cycle; the message names the nodes on it.</exception>
    public IReadOnlyList<NodeProto> TopologicalOrder()
    {
        var count = _nodes.Count;
        var position = new Dictionary<NodeProto, int>(count, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < count; i++)
        {
            position[_nodes[i]] = i;
        }

        var predecessors = new List<int>[count];
        var successors = new List<int>[count];
        var indegree = new int[count];
        for (var i = 0; i < count; i++)
        {
            successors[i] = [];
        }

        for (var i = 0; i < count; i++)
        {
            var preds = new List<int>();
            foreach (var used in Uses(_nodes[i]))
            {
                if (_producers.TryGetValue(used, out var producer) && position.TryGetValue(producer, out var p) && !preds.Contains(p))
                {
                    preds.Add(p);
                    successors[p].Add(i);
                }
            }

            predecessors[i] = preds;
            indegree[i] = preds.Count;
        }

        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < count; i++)
        {
            if (indegree[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }

        var order = new List<NodeProto>(count);
        while (ready.TryDequeue(out var i, out _))
        {
            order.Add(_nodes[i]);
            foreach (var s in successors[i])
            {
                if (--indegree[s] == 0)
                {
                    ready.Enqueue(s, s);
                }
            }
        }

        if (order.Count != count)
        {
            throw new OnnxFormatException(DescribeCycle(indegree, predecessors));
        }

        return order;
    }

    /// <summary>
    /// Writes the nodes back to <see cref="Proto"/> in topological order and drops <c>value_info</c> entries for values
    /// that no longer exist.
    /// </summary>
    /// <exception cref="OnnxFormatException">The graph has a cycle.</exception>
    public void Commit()
    {
        var order = TopologicalOrder();
        Proto.Node.Clear();
        Proto.Node.AddRange(order);
        for (var i = Proto.ValueInfo.Count - 1; i >= 0; i--)
        {
            var name = Proto.ValueInfo[i].Name;
            if (!_producers.ContainsKey(name) && !_initializers.ContainsKey(name) && !_graphInputs.Contains(name))
            {
                Proto.ValueInfo.RemoveAt(i);
            }
        }
    }

    /// <summary>Describes a node for messages: its name, or its op type and first output when it has no name.</summary>
    /// <param name="node">The node.</param>
    /// <returns>A short description such as <c>'/attn/MatMul' (MatMul)</c>.</returns>
    public static string Describe(NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var name = node.Name.Length > 0 ? node.Name : $"<unnamed, output '{(node.Output.Count > 0 ? node.Output[0] : string.Empty)}'>";
        return $"'{name}' ({node.OpType})";
    }

    /// <summary>Returns the names a node reads: its non-empty inputs and its subgraphs' outer-scope reads, each once.</summary>
    internal static HashSet<string> Uses(NodeProto node)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in node.Input)
        {
            if (input.Length > 0)
            {
                used.Add(input);
            }
        }

        if (SubgraphScope.HasSubgraphs(node))
        {
            used.UnionWith(SubgraphScope.ImplicitInputs(node));
        }

        return used;
    }

    private static string NormalizeDomain(string domain) => OpsetInfo.NormalizeDomain(domain);

    private string DescribeCycle(int[] indegree, List<int>[] predecessors)
    {
        // Every node left over has a predecessor that is also left over; walking back through them must repeat a node.
        var start = Array.FindIndex(indegree, d => d > 0);
        var path = new List<int>();
        var seenAt = new Dictionary<int, int>();
        var current = start;
        while (!seenAt.ContainsKey(current))
        {
            seenAt[current] = path.Count;
            path.Add(current);
            current = predecessors[current].First(p => indegree[p] > 0);
        }

        var cycle = path.GetRange(seenAt[current], path.Count - seenAt[current]);
        cycle.Reverse();
        var parts = cycle.Select(i => Describe(_nodes[i])).ToList();
        parts.Add(Describe(_nodes[cycle[0]]));
        return $"The graph '{Proto.Name}' has a cycle through node {Describe(_nodes[cycle[0]])}: {string.Join(" -> ", parts)}. "
            + "An ONNX graph must be acyclic; fix the exporter or the pass that built it.";
    }

    private int IndexOfNode(NodeProto node)
    {
        for (var i = 0; i < _nodes.Count; i++)
        {
            if (ReferenceEquals(_nodes[i], node))
            {
                return i;
            }
        }

        return -1;
    }

    private void Index(NodeProto node)
    {
        foreach (var output in node.Output)
        {
            if (output.Length == 0)
            {
                continue;
            }

            if (_producers.TryGetValue(output, out var other) && !ReferenceEquals(other, node))
            {
                throw new OnnxFormatException(
                    $"Value '{output}' is produced by both {Describe(other)} and {Describe(node)}; an ONNX graph must define each value once.");
            }

            _producers[output] = node;
            _names.Add(output);
        }

        if (node.Name.Length > 0)
        {
            _names.Add(node.Name);
        }

        foreach (var used in Uses(node))
        {
            AddConsumer(used, node);
        }
    }

    private void Unindex(NodeProto node)
    {
        foreach (var output in node.Output)
        {
            if (output.Length > 0 && _producers.TryGetValue(output, out var producer) && ReferenceEquals(producer, node))
            {
                _producers.Remove(output);
            }
        }

        foreach (var used in Uses(node))
        {
            RemoveConsumer(used, node);
        }
    }

    private void AddConsumer(string value, NodeProto node)
    {
        if (!_consumers.TryGetValue(value, out var list))
        {
            list = [];
            _consumers[value] = list;
        }

        foreach (var existing in list)
        {
            if (ReferenceEquals(existing, node))
            {
                return;
            }
        }

        list.Add(node);
    }

    private void RemoveConsumer(string value, NodeProto node)
    {
        if (!_consumers.TryGetValue(value, out var list))
        {
            return;
        }

        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (ReferenceEquals(list[i], node))
            {
                list.RemoveAt(i);
            }
        }

        if (list.Count == 0)
        {
            _consumers.Remove(value);
        }
    }
}
