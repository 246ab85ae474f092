using Google.Protobuf;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Models.Internal;

/// <summary>
/// Builds one zoo graph the way an exporter writes it at a given default-domain opset: constants as initializers or
/// as <c>Constant</c> nodes, and the ops whose signature changed across opsets in the form that opset wants.
/// </summary>
internal sealed class ZooGraph
{
    private readonly GraphProto _graph;
    private readonly bool _constantNodes;
    private int _next;

    public ZooGraph(string name, long opset, bool constantNodes)
    {
        _graph = new GraphProto { Name = name };
        Opset = opset;
        _constantNodes = constantNodes;
    }

    public long Opset { get; }

    public void Input(string name, TensorProto.Types.DataType type, params object[] dims) =>
        _graph.Input.Add(TestModelBuilder.ValueInfo(name, type, dims));

    public void Output(string name, TensorProto.Types.DataType type, params object[] dims) =>
        _graph.Output.Add(TestModelBuilder.ValueInfo(name, type, dims));

    /// <summary>Adds a weight: always an initializer, as every exporter writes weights.</summary>
    public string Weight(string name, long[] dims, float[] values)
    {
        _graph.Initializer.Add(TensorData.FromFloat(name, dims, values));
        return name;
    }

    /// <summary>Adds a float16 weight, as an exporter writes a half-precision model.</summary>
    public string WeightHalf(string name, long[] dims, float[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 2), BitConverter.HalfToUInt16Bits((Half)values[i]));
        }

        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float16, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds a float scalar constant (shape []).</summary>
    public string Scalar(string name, float value) => Constant(TensorData.FromFloat(name, [], [value]));

    /// <summary>Adds a one-dimensional int64 constant (axes, shapes, slice bounds).</summary>
    public string Ints(string name, params long[] values) => Constant(TensorData.FromInt64(name, [values.Length], values));

    /// <summary>Adds a node whose one output is named after it.</summary>
    public string Node(string opType, string name, string[] inputs, params AttributeProto[] attributes) => NodeIn(string.Empty, opType, name, inputs, attributes);

    /// <summary>Adds a node of a domain whose one output is named after it.</summary>
    public string NodeIn(string domain, string opType, string name, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return name;
    }

    /// <summary><c>Unsqueeze</c>: axes as an attribute before opset 13, as an input from 13.</summary>
    public string Unsqueeze(string name, string x, params long[] axes) => Opset >= 13
        ? Node("Unsqueeze", name, [x, Ints(name + "_axes", axes)])
        : Node("Unsqueeze", name, [x], IntList("axes", axes));

    /// <summary><c>ReduceMean</c> with keepdims: axes as an attribute before opset 18, as an input from 18.</summary>
    public string ReduceMean(string name, string x, params long[] axes) => Opset >= 18
        ? Node("ReduceMean", name, [x, Ints(name + "_axes", axes)], Int("keepdims", 1))
        : Node("ReduceMean", name, [x], IntList("axes", axes), Int("keepdims", 1));

    /// <summary><c>Softmax</c> over the last axis of a 4-D value: axis 3 before opset 13 (where it flattens), -1 from 13.</summary>
    public string Softmax(string name, string x) => Node("Softmax", name, [x], Int("axis", Opset >= 13 ? -1 : 3));

    /// <summary><c>Clip</c> to [min, max]: attributes before opset 11, inputs from 11.</summary>
    public string Clip(string name, string x, float min, float max) => Opset >= 11
        ? Node("Clip", name, [x, Scalar(name + "_min", min), Scalar(name + "_max", max)])
        : Node("Clip", name, [x], Float("min", min), Float("max", max));

    public string Unique(string prefix) => $"{prefix}_{_next++}";

    public ModelProto ToModel(string docString, params (string Domain, long Version)[] extraOpsets)
    {
        var model = new ModelProto
        {
            IrVersion = Opset >= 21 ? 10 : 8,
            ProducerName = "MLNetInference.Models.Zoo",
            ProducerVersion = "1",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = Opset });
        foreach (var (domain, version) in extraOpsets)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        }

        return model;
    }

    public static AttributeProto Int(string name, long value) => OnnxGraphBuilder.Int(name, value);

    public static AttributeProto IntList(string name, params long[] values) => OnnxGraphBuilder.Ints(name, values);

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Text(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private string Constant(TensorProto tensor)
    {
        if (!_constantNodes)
        {
            _graph.Initializer.Add(tensor);
            return tensor.Name;
        }

        var name = tensor.Name;
        tensor.Name = string.Empty;
        var node = new NodeProto { OpType = "Constant", Name = name + "_constant" };
        node.Output.Add(name);
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = tensor });
        _graph.Node.Add(node);
        return name;
    }
}
