using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Models;

/// <summary>
/// Builds small float models node by node, for tests that need a hand-made graph (IR version 8, default-domain
/// opset 17). Each method adds to the model and returns the builder, so calls chain.
/// </summary>
public sealed class TestModelBuilder
{
    private readonly ModelProto _model;

    /// <summary>Initializes a new instance of the <see cref="TestModelBuilder"/> class.</summary>
    /// <param name="name">The graph's name.</param>
    public TestModelBuilder(string name = "test")
    {
        _model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = name } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
    }

    /// <summary>Declares a FLOAT graph input.</summary>
    /// <param name="name">The input's name.</param>
    /// <param name="dims">Its dimensions: an <see cref="int"/> or <see cref="long"/> for a fixed size, a <see cref="string"/> for a named dynamic one.</param>
    /// <returns>This builder.</returns>
    public TestModelBuilder Input(string name, params object[] dims)
    {
        _model.Graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));
        return this;
    }

    /// <summary>Declares a FLOAT graph output.</summary>
    /// <param name="name">The output's name.</param>
    /// <param name="dims">Its dimensions, as for <see cref="Input"/>.</param>
    /// <returns>This builder.</returns>
    public TestModelBuilder Output(string name, params object[] dims)
    {
        _model.Graph.Output.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));
        return this;
    }

    /// <summary>Adds a FLOAT initializer.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="dims">Its shape.</param>
    /// <param name="values">Its values, row-major.</param>
    /// <returns>This builder.</returns>
    public TestModelBuilder Float(string name, long[] dims, params float[] values)
    {
        _model.Graph.Initializer.Add(TensorData.FromFloat(name, dims, values));
        return this;
    }

    /// <summary>Adds an INT64 initializer.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="dims">Its shape.</param>
    /// <param name="values">Its values, row-major.</param>
    /// <returns>This builder.</returns>
    public TestModelBuilder Int64(string name, long[] dims, params long[] values)
    {
        _model.Graph.Initializer.Add(TensorData.FromInt64(name, dims, values));
        return this;
    }

    /// <summary>Adds a default-domain node without attributes; set them on <see cref="Build"/>'s graph.</summary>
    /// <param name="opType">The operator.</param>
    /// <param name="name">The node's name.</param>
    /// <param name="inputs">The inputs' names.</param>
    /// <param name="outputs">The outputs' names.</param>
    /// <returns>This builder.</returns>
    public TestModelBuilder Node(string opType, string name, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        _model.Graph.Node.Add(node);
        return this;
    }

    /// <summary>Gets the model built so far; later calls keep changing it.</summary>
    /// <returns>The model.</returns>
    public ModelProto Build() => _model;

    /// <summary>Serializes the model built so far.</summary>
    /// <returns>The model's bytes.</returns>
    public byte[] Bytes() => OnnxModelIO.ToBytes(_model);

    /// <summary>Makes a tensor value info.</summary>
    /// <param name="name">The value's name.</param>
    /// <param name="type">Its element type.</param>
    /// <param name="dims">Its dimensions, as for <see cref="Input"/>.</param>
    /// <returns>The value info.</returns>
    /// <exception cref="ArgumentException">A dimension is neither a size nor a name.</exception>
    public static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                long size => new TensorShapeProto.Types.Dimension { DimValue = size },
                int size => new TensorShapeProto.Types.Dimension { DimValue = size },
                _ => throw new ArgumentException($"Dimension '{dim}' of '{name}' is neither a size nor a name.", nameof(dims)),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>x [batch, 4] → Relu(a) → Add(a, bias)(b) → Relu(y); bias initializer [4].</summary>
    /// <returns>A builder holding the chain, to extend or build.</returns>
    public static TestModelBuilder Chain() => new TestModelBuilder("chain")
        .Input("x", "batch", 4)
        .Float("bias", [4], 0.5f, -0.5f, 1f, -1f)
        .Node("Relu", "relu1", ["x"], ["a"])
        .Node("Add", "add", ["a", "bias"], ["b"])
        .Node("Relu", "relu2", ["b"], ["y"])
        .Output("y", "batch", 4);
}
