using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Models;

namespace MLNetInference.Optimizers.Tests.Quantization.Int4;

[TestClass]
public sealed class Int4WeightQuantizationPassSensitivityTests
{
    private const int K = 32;
    private const int N = 16;

    [TestMethod]
    public void Quantize_KeepOneMostSensitive_LeavesTheWorstMatMulFloat()
    {
        // "smooth" holds one value, which 4-bit blocks represent exactly; "rough" is uniform noise, which they cannot.
        var smooth = Enumerable.Repeat(0.5f, K * N).ToArray();
        var rough = SmallGraphs.Random(K * N, seed: 1);

        var model = TwoBranches(smooth, rough);
        var pass = new Int4WeightQuantizationPass(new Int4Options { BlockSize = 16, Symmetric = false, KeepMostSensitiveInFloat = 1 });

        Assert.IsTrue(pass.Run(model));

        CollectionAssert.AreEqual(new[] { "b" }, pass.KeptInFloat.ToArray());
        Assert.AreEqual("MatMul", model.Graph.Node.Single(n => n.Name == "b").OpType);
        Assert.AreEqual("MatMulNBits", model.Graph.Node.Single(n => n.Name == "a").OpType);
        Assert.IsTrue(model.Graph.Initializer.Any(i => i.Name == "w_b" && i.DataType == (int)TensorProto.Types.DataType.Float));
        Assert.IsTrue(pass.LastSummary!.Skipped.Single().StartsWith("b: kept in float", StringComparison.Ordinal), pass.LastSummary.Skipped.Single());
    }

    [TestMethod]
    public void Quantize_KeepMoreThanHelp_KeepsOnlyTheMatMulsWhoseReturnRaisesTheOutput()
    {
        // Putting the exactly representable MatMul back to float changes nothing, so it is not kept, whatever the count.
        var model = TwoBranches(Enumerable.Repeat(0.5f, K * N).ToArray(), SmallGraphs.Random(K * N, seed: 1));
        var pass = new Int4WeightQuantizationPass(new Int4Options { BlockSize = 16, Symmetric = false, KeepMostSensitiveInFloat = 2 });

        Assert.IsTrue(pass.Run(model));

        CollectionAssert.AreEqual(new[] { "b" }, pass.KeptInFloat.ToArray());
        Assert.AreEqual(1, pass.LastSummary!.QuantizedMatMuls);
    }

    [TestMethod]
    [DataRow(0, "a")]
    [DataRow(16, "b")]
    public void Quantize_GivenSensitivityInputs_MeasuresOnThem(int liveChannelStart, string expectedKept)
    {
        // Each weight is rough in one block of 16 input channels and exact in the other: a's rows 0-15, b's rows 16-31.
        // Inputs that are zero outside one block show only the error of the MatMul that is rough there.
        var a = RoughRows(0);
        var b = RoughRows(16);
        var model = TwoBranches(a, b);
        var pass = new Int4WeightQuantizationPass(new Int4Options { BlockSize = 16, Symmetric = false, KeepMostSensitiveInFloat = 1 }, LiveChannels(liveChannelStart));

        Assert.IsTrue(pass.Run(model));

        CollectionAssert.AreEqual(new[] { expectedKept }, pass.KeptInFloat.ToArray());
    }

    [TestMethod]
    public void Recipe_CalibrationData_IsWhatTheInt4StepMeasuresOn()
    {
        var model = TwoBranches(RoughRows(0), RoughRows(16));
        var context = new RecipeContext
        {
            Int4 = new Int4Options { BlockSize = 16, Symmetric = false, KeepMostSensitiveInFloat = 1 },
            Calibration = new CalibrationData(LiveChannels(16)),
        };

        OptimizationRecipe.Parse("int4-weights").CreatePasses(context).Run(model);

        Assert.AreEqual("MatMul", model.Graph.Node.Single(n => n.Name == "b").OpType);
        Assert.AreEqual("MatMulNBits", model.Graph.Node.Single(n => n.Name == "a").OpType);
    }

    [TestMethod]
    public void Quantize_ModelWithoutWeightMatMul_IsUnchangedWithAReason()
    {
        // The zoo's CNN has Conv and Gemm, no MatMul: nothing to quantize, nothing to measure.
        var bytes = ZooModels.Get("cnn-opset8").Model;
        var model = OnnxModelIO.Parse(bytes);
        var pass = new Int4WeightQuantizationPass(new Int4Options { BlockSize = 32, Symmetric = false, AccuracyLevel = 4, KeepMostSensitiveInFloat = 4 });

        Assert.IsFalse(pass.Run(model));

        CollectionAssert.AreEqual(bytes, OnnxModelIO.ToBytes(model));
        Assert.AreEqual(0, pass.KeptInFloat.Count);
        Assert.AreEqual("no MatMul has a constant 2-D float weight: nothing to quantize", pass.LastSummary!.Skipped.Single());
    }

    [TestMethod]
    public void KeepingMostSensitiveInFloat_CopiesEveryOtherSetting()
    {
        var original = new Int4Options { BlockSize = 64, Symmetric = false, ErrorMinimizingScales = true, AccuracyLevel = 4, ExcludedNodeNames = ["a"], MinimumWeightElements = 7 };

        var copy = original.KeepingMostSensitiveInFloat(3);

        Assert.AreEqual(3, copy.KeepMostSensitiveInFloat);
        Assert.AreEqual(0, original.KeepMostSensitiveInFloat, "the original is not changed");
        Assert.AreEqual((64, false, true, 4, 7), (copy.BlockSize, copy.Symmetric, copy.ErrorMinimizingScales, copy.AccuracyLevel, copy.MinimumWeightElements));
        CollectionAssert.AreEqual(new[] { "a" }, copy.ExcludedNodeNames.ToArray());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => original.KeepingMostSensitiveInFloat(-1));
    }

    [TestMethod]
    public void WithAccuracyLevel_CopiesEveryOtherSetting()
    {
        var original = new Int4Options { BlockSize = 64, Symmetric = false, ErrorMinimizingScales = true, ExcludedNodeNames = ["a"], MinimumWeightElements = 7 }.KeepingMostSensitiveInFloat(2);

        var copy = original.WithAccuracyLevel(4);

        Assert.AreEqual(4, copy.AccuracyLevel);
        Assert.AreEqual(0, original.AccuracyLevel, "the original is not changed");
        Assert.AreEqual((64, false, true, 2, 7), (copy.BlockSize, copy.Symmetric, copy.ErrorMinimizingScales, copy.KeepMostSensitiveInFloat, copy.MinimumWeightElements));
        CollectionAssert.AreEqual(new[] { "a" }, copy.ExcludedNodeNames.ToArray());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => original.WithAccuracyLevel(-1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => original.WithAccuracyLevel(5));
    }

    [TestMethod]
    public void Constructor_NegativeKeepCount_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Int4WeightQuantizationPass(new Int4Options { KeepMostSensitiveInFloat = -1 }));
    }

    private static ModelProto TwoBranches(float[] a, float[] b) =>
        new TestModelBuilder("two").Input("x", "batch", K)
            .Float("w_a", [K, N], a).Float("w_b", [K, N], b)
            .Node("MatMul", "a", ["x", "w_a"], ["y1"]).Node("MatMul", "b", ["x", "w_b"], ["y2"])
            .Output("y1", "batch", N).Output("y2", "batch", N).Build();

    // Noise in the 16 rows from `start`, one exactly representable value in the others.
    private static float[] RoughRows(int start)
    {
        var noise = SmallGraphs.Random(K * N, seed: 3 + start);
        return [.. Enumerable.Range(0, K * N).Select(i => i / N >= start && i / N < start + 16 ? noise[i] : 0.5f)];
    }

    // Four inputs of batch 4, random in the 16 channels from `start` and zero elsewhere.
    private static IReadOnlyDictionary<string, SampleTensor>[] LiveChannels(int start)
    {
        return [.. Enumerable.Range(0, 4).Select(s =>
        {
            var random = SmallGraphs.Random(4 * K, seed: 100 + s);
            var x = Enumerable.Range(0, 4 * K).Select(i => i % K >= start && i % K < start + 16 ? random[i] : 0f).ToArray();
            return (IReadOnlyDictionary<string, SampleTensor>)new Dictionary<string, SampleTensor> { ["x"] = new SampleTensor(x, [4, K]) };
        })];
    }
}
