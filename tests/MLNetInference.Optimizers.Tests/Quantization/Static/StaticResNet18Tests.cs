using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Runtime;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization.Static;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Quantization.Static;

[TestClass]
public sealed class StaticResNet18Tests
{
    private const int CalibrationSamples = 4;
    private const int TestSamples = 8;

    private static byte[] s_original = [];
    private static OptimizationResult s_result = null!;

    [ClassInitialize]
    public static void QuantizeOnce(TestContext context)
    {
        _ = context;
        s_original = File.ReadAllBytes(ModelPaths.ResNet18Model);
        var calibration = SampleInputGenerator.Generate(s_original, new SampleInputOptions { SampleCount = CalibrationSamples, BatchSize = 1, Seed = 7 });
        s_result = ModelOptimizer.Optimize(
            s_original,
            OptimizationRecipe.Parse("fuse+int8-static"),
            new SampleInputOptions { SampleCount = 1, BatchSize = 1 },
            new CalibrationData(calibration));
    }

    [TestMethod]
    public void FuseInt8Static_ResNet18_EveryConvIsQuantizedAndOnnxRuntimeRunsQLinearConv()
    {
        var ops = StaticSmallCnn.OrtOptimizedOpCounts(s_result.Model);

        Assert.IsEmpty(s_result.Warnings);
        Assert.AreEqual(22, ops.GetValueOrDefault("QLinearConv"), string.Join(", ", ops));
        Assert.AreEqual(9, ops.GetValueOrDefault("QLinearAdd"), string.Join(", ", ops));
        Assert.AreEqual(0, ops.GetValueOrDefault("Conv") + ops.GetValueOrDefault("FusedConv"), string.Join(", ", ops));
        Assert.AreEqual(1, ops.GetValueOrDefault("QuantizeLinear"), "only the image is quantized in float; everything after runs in 8 bits");
        Assert.IsLessThan(s_result.BytesBefore / 3, s_result.BytesAfter, "int8 weights take a quarter of the space");
    }

    [TestMethod]
    public void FuseInt8Static_ResNet18_FeaturesStayCloseToFp32()
    {
        using var fp32 = new InferenceSession(s_original);
        using var int8 = new InferenceSession(s_result.Model);
        var cosines = new List<double>();
        var agree = 0;
        foreach (var sample in SampleInputGenerator.Generate(s_original, new SampleInputOptions { SampleCount = TestSamples, BatchSize = 1, Seed = 1000 }))
        {
            var expected = Run(fp32, sample);
            var actual = Run(int8, sample);
            cosines.Add(StaticSmallCnn.Cosine(expected, actual));
            agree += Array.IndexOf(expected, expected.Max()) == Array.IndexOf(actual, actual.Max()) ? 1 : 0;
        }

        Assert.IsGreaterThan(0.98, cosines.Average(), $"feature cosine: {string.Join(", ", cosines.Select(c => c.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.IsGreaterThanOrEqualTo(TestSamples - 1, agree, "the strongest feature (top-1) agrees");
    }

    private static float[] Run(InferenceSession session, IReadOnlyDictionary<string, SampleTensor> sample)
    {
        var (name, tensor) = sample.Single();
        using var input = OrtValue.CreateTensorValueFromMemory((float[])tensor.Data, tensor.Shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [name], [input], [session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
