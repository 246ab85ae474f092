using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Sensitivity;
using MLNetInference.Models;

namespace MLNetInference.Optimizers.Tests.Quantization.Sensitivity;

[TestClass]
public sealed class SensitiveDynamicInt8QuantizationPassTests
{
    private const int Features = 16;

    [TestMethod]
    public void Run_KeepFloat_LeavesTheOutlierMatMulFloatAndQuantizesTheOther()
    {
        var model = OutlierModel();
        var pass = new SensitiveDynamicInt8QuantizationPass(1);

        Assert.IsTrue(pass.Run(model));

        CollectionAssert.AreEqual(new[] { "outlier" }, pass.KeptInFloat.ToArray());
        Assert.AreEqual("MatMul", model.Graph.Node.Single(n => n.Name == "outlier").OpType);
        Assert.AreEqual("DynamicQuantizeMatMul", model.Graph.Node.Single(n => n.Name == "plain").OpType);
    }

    [TestMethod]
    public void Run_SmoothActivations_QuantizesTheOutlierMatMulCloserToFp32ThanPlainInt8()
    {
        var original = OutlierModel();
        var expected = Run(original);
        var plain = original.Clone();
        Assert.IsTrue(new DynamicInt8QuantizationPass().Run(plain));
        var smoothed = original.Clone();
        var pass = new SensitiveDynamicInt8QuantizationPass(1, treatment: SensitiveMatMulTreatment.SmoothActivations);

        Assert.IsTrue(pass.Run(smoothed));

        CollectionAssert.AreEqual(new[] { "outlier" }, pass.Smoothed.ToArray());
        Assert.IsEmpty(pass.KeptInFloat);
        Assert.AreEqual("DynamicQuantizeMatMul", smoothed.Graph.Node.Single(n => n.Name == "outlier").OpType);
        Assert.AreEqual(1, smoothed.Graph.Node.Count(n => n.OpType == "Mul" && n.Name == "outlier_smooth"));
        var plainError = Error(expected, Run(plain));
        var smoothedError = Error(expected, Run(smoothed));
        Assert.IsLessThan(plainError / 2, smoothedError, $"smoothed {smoothedError}, plain {plainError}");
    }

    [TestMethod]
    public void Constructor_NegativeCount_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SensitiveDynamicInt8QuantizationPass(-1));
    }

    /// <summary>Two MatMuls on x; the second reads x through a Mul that blows one feature up 1000x (its weight row down as much).</summary>
    private static ModelProto OutlierModel()
    {
        var scale = Enumerable.Repeat(1f, Features).ToArray();
        scale[3] = 1000f;
        var w2 = SmallGraphs.Random(Features * Features, 2);
        for (var n = 0; n < Features; n++)
        {
            w2[(3 * Features) + n] /= 1000f;
        }

        return new TestModelBuilder("outliers").Input("x", "batch", Features)
            .Float("w1", [Features, Features], SmallGraphs.Random(Features * Features, 1)).Float("w2", [Features, Features], w2).Float("s", [Features], scale)
            .Node("MatMul", "plain", ["x", "w1"], ["y1"])
            .Node("Mul", "blow_up", ["x", "s"], ["xs"])
            .Node("MatMul", "outlier", ["xs", "w2"], ["y2"])
            .Output("y1", "batch", Features).Output("y2", "batch", Features).Build();
    }

    private static float[] Run(ModelProto model)
    {
        using var session = new InferenceSession(OnnxModelIO.ToBytes(model));
        var x = SmallGraphs.Random(8 * Features, seed: 9);
        using var value = OrtValue.CreateTensorValueFromMemory(x, [8, Features]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x"], [value], ["y2"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double Error(float[] expected, float[] actual) => expected.Zip(actual, (a, b) => (double)(a - b) * (a - b)).Sum();
}
