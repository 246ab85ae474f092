using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Optimizers.Tests.Quantization.Int4;

/// <summary>X [Rows, K] → MatMul(W [K, N]) → Y, built in the test and run in ONNX Runtime, with the int4 error bound.</summary>
internal static class Int4Graphs
{
    public const int Rows = 4;

    public static ModelProto MatMul(float[] weights, int k, int n)
    {
        var graph = new GraphProto { Name = "int4-small" };
        graph.Input.Add(Value("X", Rows, k));
        graph.Initializer.Add(TensorData.FromFloat("W", [k, n], weights));
        var node = new NodeProto { OpType = "MatMul", Name = "matmul" };
        node.Input.AddRange(["X", "W"]);
        node.Output.Add("Y");
        graph.Node.Add(node);
        graph.Output.Add(Value("Y", Rows, n));
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "test" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        return model;
    }

    public static float[] Run(ModelProto model, float[] x, int k)
    {
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
        using var input = OrtValue.CreateTensorValueFromMemory(x, [Rows, k]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["X"], [input], ["Y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// The worst-case |Y_int4 − Y_fp32| per element: Σ_k |x_k| · e(k, n), where e is half the block's scale when
    /// symmetric (max|w| / 7 per block) and a whole scale when asymmetric ((max − min) / 15, the zero point's rounding
    /// adding up to half a scale), plus float rounding slack.
    /// </summary>
    public static float[] ErrorBound(float[] x, float[] weights, int k, int n, int blockSize, bool symmetric)
    {
        var bound = new float[Rows * n];
        for (var col = 0; col < n; col++)
        {
            var error = new float[k];
            for (var start = 0; start < k; start += blockSize)
            {
                var end = Math.Min(start + blockSize, k);
                float min = 0f, max = 0f;
                for (var r = start; r < end; r++)
                {
                    min = Math.Min(min, weights[(r * n) + col]);
                    max = Math.Max(max, weights[(r * n) + col]);
                }

                var e = symmetric ? Math.Max(max, -min) / 7f / 2f : (max - min) / 15f;
                for (var r = start; r < end; r++)
                {
                    error[r] = e;
                }
            }

            for (var m = 0; m < Rows; m++)
            {
                var sum = 0f;
                for (var r = 0; r < k; r++)
                {
                    sum += Math.Abs(x[(m * k) + r]) * error[r];
                }

                bound[(m * n) + col] = (sum * 1.01f) + 1e-4f;
            }
        }

        return bound;
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
