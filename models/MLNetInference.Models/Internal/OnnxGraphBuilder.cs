using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Models.Internal;

/// <summary>Builds a small ONNX model (IR version 8, default-domain opset 17) node by node.</summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The ONNX IR version of the models built here.</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain opset of the models built here.</summary>
    public const long Opset = 17;

    private readonly GraphProto _graph;

    /// <summary>Initializes a new instance of the <see cref="OnnxGraphBuilder"/> class.</summary>
    /// <param name="name">The graph's name.</param>
    public OnnxGraphBuilder(string name)
    {
        _graph = new GraphProto { Name = name };
    }

    /// <summary>Declares a graph input.</summary>
    /// <param name="name">The input's name.</param>
    /// <param name="type">Its element type.</param>
    /// <param name="dims">Its dimensions: a <see cref="long"/> for a fixed size, a <see cref="string"/> for a named dynamic one.</param>
    public void AddInput(string name, TensorProto.Types.DataType type, params object[] dims) => _graph.Input.Add(ValueInfo(name, type, dims));

    /// <summary>Declares a graph output.</summary>
    /// <param name="name">The output's name.</param>
    /// <param name="type">Its element type.</param>
    /// <param name="dims">Its dimensions: a <see cref="long"/> for a fixed size, a <see cref="string"/> for a named dynamic one.</param>
    public void AddOutput(string name, TensorProto.Types.DataType type, params object[] dims) => _graph.Output.Add(ValueInfo(name, type, dims));

    /// <summary>Adds a FLOAT initializer.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="dims">Its shape.</param>
    /// <param name="values">Its values, row-major.</param>
    /// <returns><paramref name="name"/>.</returns>
    public string AddFloat(string name, long[] dims, float[] values)
    {
        _graph.Initializer.Add(TensorData.FromFloat(name, dims, values));
        return name;
    }

    /// <summary>Adds a one-dimensional INT64 initializer.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="values">Its values.</param>
    /// <returns><paramref name="name"/>.</returns>
    public string AddInt64(string name, params long[] values)
    {
        _graph.Initializer.Add(TensorData.FromInt64(name, [values.Length], values));
        return name;
    }

    /// <summary>Adds a node with one output named after the node.</summary>
    /// <param name="opType">The operator.</param>
    /// <param name="name">The node's name, also its output's name.</param>
    /// <param name="inputs">The inputs' names.</param>
    /// <param name="attributes">The attributes.</param>
    /// <returns>The output's name.</returns>
    public string AddNode(string opType, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return name;
    }

    /// <summary>Makes an INT attribute.</summary>
    /// <param name="name">The attribute's name.</param>
    /// <param name="value">Its value.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>Makes an INTS attribute.</summary>
    /// <param name="name">The attribute's name.</param>
    /// <param name="values">Its values.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>Wraps the graph in a model.</summary>
    /// <param name="docString">What the model is for.</param>
    /// <returns>The model.</returns>
    public ModelProto ToModel(string docString)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "MLNetInference.Models",
            ProducerVersion = "1",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        return model;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims) => TestModelBuilder.ValueInfo(name, type, dims);
}
