using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Quantization.Sensitivity;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Optimizers.Tests.Quantization.Sensitivity;

[TestClass]
public sealed class SensitiveLayerSelectionTests
{
    [TestMethod]
    public void Measure_MatMulFedByOutliers_RanksFirstForDynamicInt8()
    {
        // Both MatMuls read x; the second reads it through a Mul that blows one feature up 1000x (and its weight row
        // down as much, so the output keeps its size), so its per-tensor activation scale is set by that outlier and
        // every other feature loses precision.
        var scale = Enumerable.Repeat(1f, 8).ToArray();
        scale[3] = 1000f;
        var w2 = SmallGraphs.Random(64, 2);
        for (var n = 0; n < 8; n++)
        {
            w2[(3 * 8) + n] /= 1000f;
        }

        var model = new TestModelBuilder("outliers").Input("x", "batch", 8)
            .Float("w1", [8, 8], SmallGraphs.Random(64, 1)).Float("w2", [8, 8], w2).Float("s", [8], scale)
            .Node("MatMul", "plain", ["x", "w1"], ["y1"])
            .Node("Mul", "blow_up", ["x", "s"], ["xs"])
            .Node("MatMul", "outlier", ["xs", "w2"], ["y2"])
            .Output("y1", "batch", 8).Output("y2", "batch", 8).Build();

        var ranking = SensitiveLayerSelection.Measure(model, WeightQuantizationScheme.DynamicInt8);

        Assert.HasCount(2, ranking);
        Assert.AreEqual("outlier", ranking[0].NodeName);
        Assert.IsGreaterThan(ranking[1].RelativeError * 10, ranking[0].RelativeError, $"{ranking[0].RelativeError} vs {ranking[1].RelativeError}");
        Assert.IsGreaterThan(0, ranking[1].RelativeError);
        Assert.IsGreaterThan(0, ranking[0].Rows);
        CollectionAssert.AreEqual(new[] { "outlier" }, SensitiveLayerSelection.MostSensitive(model, WeightQuantizationScheme.DynamicInt8, 1).ToArray());
    }

    [TestMethod]
    public void MostSensitive_NegativeCount_Throws()
    {
        var model = new TestModelBuilder().Input("x", 1, 2).Build();

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SensitiveLayerSelection.MostSensitive(model, WeightQuantizationScheme.Int4, -1));
    }

    [TestMethod]
    public void Recipe_Int8DynamicSensitive_TreatsTheMostSensitiveMatMulApartOnMiniLm()
    {
        var result = ModelOptimizer.Optimize(File.ReadAllBytes(ModelPaths.MiniLmModel), OptimizationRecipe.Parse("fuse+int8-dynamic-sensitive"));

        var model = OnnxModelIO.Parse(result.Model);
        var floatMatMuls = model.Graph.Node.Count(n => n.OpType == "MatMul" && model.Graph.Initializer.Any(i => i.Name == n.Input[1] && i.DataType == (int)TensorProto.Types.DataType.Float));
        var smoothing = model.Graph.Node.Count(n => n.OpType == "Mul" && n.Name.EndsWith("_smooth", StringComparison.Ordinal));
        Assert.AreEqual(SensitiveDynamicInt8QuantizationPass.DefaultSensitiveCount, floatMatMuls + smoothing, $"{floatMatMuls} float, {smoothing} smoothed");
        Assert.AreEqual(6, model.Graph.Node.Count(n => n.OpType == "QAttention"));
        Assert.AreEqual(19 - floatMatMuls, model.Graph.Node.Count(n => n.OpType == "DynamicQuantizeMatMul"));
        Assert.IsTrue(result.Verification.AllCompared);
    }
}
