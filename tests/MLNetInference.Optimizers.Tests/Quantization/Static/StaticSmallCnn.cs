using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Quantization.Static;

/// <summary>
/// A small residual CNN built in the tests: X [1,3,8,8] → Conv c1 (+bias, pad 1) → Relu → MaxPool 2×2 → Conv c2 (+bias,
/// pad 1) → Add (residual from the MaxPool) → Relu → GlobalAveragePool → Flatten → Gemm g (transB, +C) → Y [1,10].
/// </summary>
internal static class StaticSmallCnn
{
    public static ModelProto Build(long opset = 17)
    {
        var builder = new TestModelBuilder("small-cnn")
            .Input("X", 1, 3, 8, 8)
            .Output("Y", 1, 10)
            .Float("W1", [8, 3, 3, 3], SmallGraphs.Random(8 * 3 * 3 * 3, seed: 11, magnitude: 0.5f))
            .Float("B1", [8], SmallGraphs.Random(8, seed: 12, magnitude: 0.1f))
            .Float("W2", [8, 8, 3, 3], SmallGraphs.Random(8 * 8 * 3 * 3, seed: 13, magnitude: 0.3f))
            .Float("B2", [8], SmallGraphs.Random(8, seed: 14, magnitude: 0.1f))
            .Float("W3", [10, 8], SmallGraphs.Random(80, seed: 15))
            .Float("C3", [10], SmallGraphs.Random(10, seed: 16, magnitude: 0.1f))
            .Node("Conv", "c1", ["X", "W1", "B1"], ["c1_out"])
            .Node("Relu", "r1", ["c1_out"], ["r1_out"])
            .Node("MaxPool", "pool", ["r1_out"], ["pool_out"])
            .Node("Conv", "c2", ["pool_out", "W2", "B2"], ["c2_out"])
            .Node("Add", "residual", ["c2_out", "pool_out"], ["add_out"])
            .Node("Relu", "r2", ["add_out"], ["r2_out"])
            .Node("GlobalAveragePool", "gap", ["r2_out"], ["gap_out"])
            .Node("Flatten", "flatten", ["gap_out"], ["flat"])
            .Node("Gemm", "g", ["flat", "W3", "C3"], ["Y"]);
        var model = builder.Build();
        model.OpsetImport[0].Version = opset;
        var nodes = model.Graph.Node.ToDictionary(n => n.Name);
        Ints(nodes["c1"], "pads", 1, 1, 1, 1);
        Ints(nodes["c2"], "pads", 1, 1, 1, 1);
        Ints(nodes["pool"], "kernel_shape", 2, 2);
        Ints(nodes["pool"], "strides", 2, 2);
        nodes["g"].Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        return model;
    }

    public static List<IReadOnlyDictionary<string, SampleTensor>> Inputs(int count, int seed) =>
        [.. SampleInputGenerator.Generate(Build(), new SampleInputOptions { SampleCount = count, BatchSize = 1, Seed = seed })];

    public static float[] Run(InferenceSession session, IReadOnlyDictionary<string, SampleTensor> sample)
    {
        var x = sample["X"];
        using var input = OrtValue.CreateTensorValueFromMemory((float[])x.Data, x.Shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputNames[0]], [input], [session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>The op types of the graph ONNX Runtime runs after its own optimizations (level <paramref name="level"/>).</summary>
    public static Dictionary<string, int> OrtOptimizedOpCounts(byte[] model, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_EXTENDED)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ort-optimized-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions { GraphOptimizationLevel = level, OptimizedModelFilePath = path })
            using (new InferenceSession(model, options))
            {
            }

            return OnnxModelIO.Load(path).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static double Cosine(float[] a, float[] b) => TensorPrimitives.CosineSimilarity<float>(a, b);

    private static void Ints(NodeProto node, string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        node.Attribute.Add(attribute);
    }
}
