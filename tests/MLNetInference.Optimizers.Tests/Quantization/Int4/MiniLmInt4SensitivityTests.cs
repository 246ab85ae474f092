using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Quantization.Int4;

[TestClass]
public sealed class MiniLmInt4SensitivityTests
{
    private const int Keep = 3;

    private static ModelProto s_all = null!;
    private static ModelProto s_mixed = null!;
    private static Int4WeightQuantizationPass s_pass = null!;

    [ClassInitialize]
    public static void QuantizeOnce(TestContext context)
    {
        _ = context;
        var fast = new Int4Options { BlockSize = 32, Symmetric = false, ErrorMinimizingScales = true, AccuracyLevel = 4 };
        s_all = OnnxModelIO.Load(ModelPaths.MiniLmModel);
        Assert.IsTrue(new Int4WeightQuantizationPass(fast).Run(s_all));

        s_mixed = OnnxModelIO.Load(ModelPaths.MiniLmModel);
        s_pass = new Int4WeightQuantizationPass(new Int4Options
        {
            BlockSize = 32,
            Symmetric = false,
            ErrorMinimizingScales = true,
            AccuracyLevel = 4,
            KeepMostSensitiveInFloat = Keep,
        });
        Assert.IsTrue(s_pass.Run(s_mixed));
    }

    [TestMethod]
    public void KeepMostSensitive_MiniLm_KeepsTheNamedCountAsFloatMatMuls()
    {
        Assert.HasCount(Keep, s_pass.KeptInFloat);
        Assert.AreEqual(36 - Keep, s_pass.LastSummary!.QuantizedMatMuls);
        Assert.AreEqual(36 - Keep, s_mixed.Graph.Node.Count(n => n.OpType == "MatMulNBits"));
        foreach (var name in s_pass.KeptInFloat)
        {
            var node = s_mixed.Graph.Node.Single(n => n.Name == name);
            Assert.AreEqual("MatMul", node.OpType, name);
            var weight = s_mixed.Graph.Initializer.Single(i => i.Name == node.Input[1]);
            Assert.AreEqual((int)TensorProto.Types.DataType.Float, weight.DataType, name);
        }

        Assert.AreEqual(Keep, s_pass.LastSummary.Skipped.Count(s => s.Contains(": kept in float as one of the 3 most sensitive", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void KeepMostSensitive_MiniLm_KeptMatMulsRaiseTheOutputCosine()
    {
        var original = File.ReadAllBytes(ModelPaths.MiniLmModel);
        var samples = new SampleInputOptions { Seed = 7 };

        var all = ModelVerifier.Compare(original, OnnxModelIO.ToBytes(s_all), samples).Outputs.Single(o => o.Name == "last_hidden_state");
        var mixed = ModelVerifier.Compare(original, OnnxModelIO.ToBytes(s_mixed), samples).Outputs.Single(o => o.Name == "last_hidden_state");

        Console.WriteLine($"MiniLM int4 b32 level 4: last_hidden_state mean cosine {all.MeanCosine:F5}; with [{string.Join(", ", s_pass.KeptInFloat)}] float {mixed.MeanCosine:F5}");
        Assert.IsGreaterThan(all.MeanCosine + 0.002, mixed.MeanCosine, $"all int4 {all.MeanCosine:F5}, {Keep} kept float {mixed.MeanCosine:F5}");
    }
}
