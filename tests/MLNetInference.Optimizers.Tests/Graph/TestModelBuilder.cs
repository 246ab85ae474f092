using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Tests.Graph;

/// <summary>Builds small float models node by node for the tests (IR 8, opset 17).</summary>
internal sealed class TestModelBuilder
{
    private readonly ModelProto _model;

    public TestModelBuilder(string name = "test")
    {
        _model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = name } };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
    }

    public TestModelBuilder Input(string name, params object[] dims)
    {
        _model.Graph.Input.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));
        return this;
    }

    public TestModelBuilder Output(string name, params object[] dims)
    {
        _model.Graph.Output.Add(ValueInfo(name, TensorProto.Types.DataType.Float, dims));
        return this;
    }

    public TestModelBuilder Float(string name, long[] dims, params float[] values)
    {
        _model.Graph.Initializer.Add(TensorData.FromFloat(name, dims, values));
        return this;
    }

    public TestModelBuilder Int64(string name, long[] dims, params long[] values)
    {
        _model.Graph.Initializer.Add(TensorData.FromInt64(name, dims, values));
        return this;
    }

    public TestModelBuilder Node(string opType, string name, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        _model.Graph.Node.Add(node);
        return this;
    }

    public ModelProto Build() => _model;

    public byte[] Bytes() => OnnxModelIO.ToBytes(_model);

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
                _ => throw new ArgumentException($"Bad dimension '{dim}'."),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>x [batch, 4] → Relu(a) → Add(a, bias)(b) → Relu(y); bias initializer [4].</summary>
    public static TestModelBuilder Chain() => new TestModelBuilder("chain")
        .Input("x", "batch", 4)
        .Float("bias", [4], 0.5f, -0.5f, 1f, -1f)
        .Node("Relu", "relu1", ["x"], ["a"])
        .Node("Add", "add", ["a", "bias"], ["b"])
        .Node("Relu", "relu2", ["b"], ["y"])
        .Output("y", "batch", 4);
}
