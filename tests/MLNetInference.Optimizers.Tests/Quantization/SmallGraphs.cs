using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Tests.Quantization;

/// <summary>Small float graphs built in the tests, random data, running them in ONNX Runtime, and the error bound of 8-bit quantization.</summary>
internal static class SmallGraphs
{
    public const int Rows = 4;
    public const int Inner = 64;
    public const int Columns = 24;

    public static float[] Random(int count, int seed, float magnitude = 1f)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * magnitude)];
    }

    /// <summary>X [Rows, Inner] → MatMul(W [Inner, Columns]) → Add(bias [Columns]) → Y; with <paramref name="alsoOutputProduct"/> the MatMul output is a graph output too.</summary>
    public static ModelProto MatMulAdd(float[] weights, float[] bias, bool alsoOutputProduct = false)
    {
        var graph = NewGraph();
        graph.Initializer.Add(TensorData.FromFloat("W", [Inner, Columns], weights));
        graph.Initializer.Add(TensorData.FromFloat("bias", [Columns], bias));
        graph.Node.Add(Node("MatMul", "matmul", ["X", "W"], "XW"));
        graph.Node.Add(Node("Add", "add", ["XW", "bias"], "Y"));
        graph.Output.Add(Value("Y", Rows, Columns));
        if (alsoOutputProduct)
        {
            graph.Output.Add(Value("XW", Rows, Columns));
        }

        return Wrap(graph);
    }

    /// <summary>X [Rows, Inner] → Gemm(W [Columns, Inner], C [Columns], transB=1, alpha, beta) → Y.</summary>
    public static ModelProto GemmTransB(float[] weightsTransposed, float[] c, float alpha, float beta)
    {
        var graph = NewGraph();
        graph.Initializer.Add(TensorData.FromFloat("W", [Columns, Inner], weightsTransposed));
        graph.Initializer.Add(TensorData.FromFloat("C", [Columns], c));
        var gemm = Node("Gemm", "gemm", ["X", "W", "C"], "Y");
        gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        gemm.Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = alpha });
        gemm.Attribute.Add(new AttributeProto { Name = "beta", Type = AttributeProto.Types.AttributeType.Float, F = beta });
        graph.Node.Add(gemm);
        graph.Output.Add(Value("Y", Rows, Columns));
        return Wrap(graph);
    }

    /// <summary>Runs the model on X [Rows, Inner] and returns Y.</summary>
    public static float[] Run(ModelProto model, float[] x)
    {
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
        using var input = OrtValue.CreateTensorValueFromMemory(x, [Rows, Inner]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["X"], [input], ["Y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// The worst-case |Y_int8 − Y_fp32| per element: each weight is off by at most half its scale, each activation by
    /// at most one activation scale (uint8 over [min(x,0), max(x,0)], zero point rounded), plus the product of both.
    /// </summary>
    public static float[] ErrorBound(float[] x, float[] weights, bool perChannel, bool reduceRange)
    {
        var qmax = reduceRange ? 63f : 127f;
        var activationScale = (Math.Max(x.Max(), 0f) - Math.Min(x.Min(), 0f)) / 255f;
        var weightScale = new float[Columns];
        for (var n = 0; n < Columns; n++)
        {
            for (var k = 0; k < Inner; k++)
            {
                weightScale[perChannel ? n : 0] = Math.Max(weightScale[perChannel ? n : 0], Math.Abs(weights[(k * Columns) + n]) / qmax);
            }
        }

        var bound = new float[Rows * Columns];
        for (var m = 0; m < Rows; m++)
        {
            for (var n = 0; n < Columns; n++)
            {
                var dw = weightScale[perChannel ? n : 0] / 2;
                var sum = 0f;
                for (var k = 0; k < Inner; k++)
                {
                    sum += (Math.Abs(x[(m * Inner) + k]) * dw) + (Math.Abs(weights[(k * Columns) + n]) * activationScale) + (dw * activationScale);
                }

                bound[(m * Columns) + n] = (sum * 1.01f) + 1e-4f;
            }
        }

        return bound;
    }

    private static GraphProto NewGraph()
    {
        var graph = new GraphProto { Name = "small" };
        graph.Input.Add(Value("X", Rows, Inner));
        return graph;
    }

    private static ModelProto Wrap(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "test" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        return model;
    }

    private static NodeProto Node(string op, string name, string[] inputs, string output)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    private static ValueInfoProto Value(string name, int rows, int columns)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = rows });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = columns });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
