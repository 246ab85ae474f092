using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Models;

namespace MLNetInference.Optimizers.Tests.Quantization.Int4;

[TestClass]
public sealed class Int4WeightQuantizationPassSensitivityTests
{
    [TestMethod]
    public void Quantize_KeepOneMostSensitive_LeavesTheWorstMatMulFloat()
    {
        // "smooth" holds one value, which 4-bit blocks represent exactly; "rough" is uniform noise, which they cannot.
        var smooth = Enumerable.Repeat(0.5f, 32 * 16).ToArray();
        var rough = SmallGraphs.Random(32 * 16, seed: 1);

        var model = new TestModelBuilder("two").Input("x", "batch", 32)
            .Float("w_smooth", [32, 16], smooth).Float("w_rough", [32, 16], rough)
            .Node("MatMul", "smooth", ["x", "w_smooth"], ["y1"]).Node("MatMul", "rough", ["x", "w_rough"], ["y2"])
            .Output("y1", "batch", 16).Output("y2", "batch", 16).Build();
        var pass = new Int4WeightQuantizationPass(new Int4Options { BlockSize = 16, Symmetric = false, KeepMostSensitiveInFloat = 1 });

        Assert.IsTrue(pass.Run(model));

        CollectionAssert.AreEqual(new[] { "rough" }, pass.KeptInFloat.ToArray());
        Assert.AreEqual("MatMul", model.Graph.Node.Single(n => n.Name == "rough").OpType);
        Assert.AreEqual("MatMulNBits", model.Graph.Node.Single(n => n.Name == "smooth").OpType);
        Assert.IsTrue(model.Graph.Initializer.Any(i => i.Name == "w_rough" && i.DataType == (int)TensorProto.Types.DataType.Float));
    }

    [TestMethod]
    public void Constructor_NegativeKeepCount_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new Int4WeightQuantizationPass(new Int4Options { KeepMostSensitiveInFloat = -1 }));
    }
}
