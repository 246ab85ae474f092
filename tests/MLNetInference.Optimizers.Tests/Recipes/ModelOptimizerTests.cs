using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Optimizers.Tests.Recipes;

[TestClass]
public sealed class ModelOptimizerTests
{
    [TestMethod]
    public void Optimize_ResNet18WithFuse_MakesBatchSymbolicAndMatchesTheOriginal()
    {
        var original = File.ReadAllBytes(ModelPaths.ResNet18Model);

        var result = ModelOptimizer.Optimize(original, OptimizationRecipe.Parse("fuse"));

        var optimized = OnnxModelIO.Parse(result.Model);
        Assert.AreEqual("batch", optimized.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.IsTrue(result.Verification.AllCompared);
        Assert.IsLessThanOrEqualTo(1e-4, result.Verification.MaxAbsDiff);
        Assert.AreEqual(1.0, result.Verification.Top1Agreement);
        Assert.IsNotNull(result.Passes);
    }

    [TestMethod]
    public void Optimize_MiniLmWithFuseAndInt8_QuantizesEveryWeightMatMulWithinTolerance()
    {
        var original = File.ReadAllBytes(ModelPaths.MiniLmModel);

        var result = ModelOptimizer.Optimize(original, OptimizationRecipe.Parse("fuse+int8-dynamic"));

        var optimized = OnnxModelIO.Parse(result.Model);
        Assert.AreEqual(0, optimized.Graph.Node.Count(n => n.OpType == "MatMul" && optimized.Graph.Initializer.Any(i => i.Name == n.Input[1])), "no fp32 weight MatMul left");
        Assert.AreEqual(6, optimized.Graph.Node.Count(n => n.OpType == "QAttention"), "the fused attention of each layer is quantized");
        Assert.AreEqual(0, optimized.Graph.Node.Count(n => n.OpType == "Attention"));
        Assert.AreEqual(19, optimized.Graph.Node.Count(n => n.OpType == "DynamicQuantizeMatMul"), "6 layers of output and two FFN projections, and the pooler");
        Assert.AreEqual(0, optimized.Graph.Node.Count(n => n.OpType is "SkipLayerNormalization" or "BiasGelu"), "before dynamic INT8 the fuse step leaves these two out (slower than ORT's own Add + LayerNormalization and Gelu there)");
        Assert.AreEqual(13, optimized.Graph.Node.Count(n => n.OpType == "LayerNormalization"));
        Assert.AreEqual(6, optimized.Graph.Node.Count(n => n.OpType == "Gelu"));
        Assert.IsTrue(optimized.Graph.Node.Where(n => n.OpType == "DynamicQuantizeMatMul").All(n => n.Input.Count == 5), "every projection bias is folded into its DynamicQuantizeMatMul");
        Assert.IsLessThan(result.BytesBefore, result.BytesAfter);
        Assert.IsTrue(result.Verification.AllCompared);
        var hidden = result.Verification.Outputs.Single(o => o.Name == "last_hidden_state");
        Assert.IsGreaterThanOrEqualTo(0.97, hidden.MeanCosine, string.Join("; ", result.Verification.Outputs.Select(o => $"{o.Name}: mean {o.MeanCosine:F4} min {o.MinCosine:F4}")));
    }

    [TestMethod]
    public void Optimize_MalformedBytes_ThrowsOnnxFormatException()
    {
        Assert.ThrowsExactly<OnnxFormatException>(() => ModelOptimizer.Optimize([1, 2, 3, 4, 5], OptimizationRecipe.Parse("fuse")));
    }
}
