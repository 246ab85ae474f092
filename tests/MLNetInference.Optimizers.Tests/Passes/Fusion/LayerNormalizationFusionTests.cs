using MLNetInference.Models;
using static MLNetInference.Optimizers.Tests.Passes.Fusion.FusionTestGraphs;

namespace MLNetInference.Optimizers.Tests.Passes.Fusion;

[TestClass]
public sealed class LayerNormalizationFusionTests
{
    [TestMethod]
    public void LayerNormalizationFusion_DecomposedLastAxisNorm_BecomesOneLayerNormalizationWithSameValues()
    {
        var original = new TestModelBuilder("ln").Input("x", "batch", 3, Hidden)
            .LayerNorm("x", "y", "ln_", 1e-5f)
            .Output("y", "batch", 3, Hidden)
            .Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.HasCount(1, fused.Graph.Node);
        var node = fused.Graph.Node[0];
        Assert.AreEqual("LayerNormalization", node.OpType);
        CollectionAssert.AreEqual(new[] { "x", "ln_gamma", "ln_beta" }, node.Input.ToArray());
        Assert.AreEqual(1e-5f, node.Attribute.Single(a => a.Name == "epsilon").F, 1e-9f);
        Assert.AreEqual(-1L, node.Attribute.Single(a => a.Name == "axis").I);
        Assert.IsLessThanOrEqualTo(1e-4, report.MaxAbsDiff);
    }

    [TestMethod]
    public void LayerNormalizationFusion_CenteredValueAlsoGraphOutput_LeavesGraphUnchanged()
    {
        var builder = new TestModelBuilder("ln").Input("x", "batch", 3, Hidden)
            .LayerNorm("x", "y", "ln_")
            .Output("y", "batch", 3, Hidden)
            .Output("ln_d", "batch", 3, Hidden);
        var original = builder.Bytes();
        var before = builder.Build().Graph.Node.Count;

        var (fused, report) = FuseAndVerify(original);

        Assert.AreEqual(before, fused.Graph.Node.Count);
        Assert.AreEqual(0, Count(fused, "LayerNormalization"));
        Assert.AreEqual(0d, report.MaxAbsDiff);
    }

    [TestMethod]
    public void LayerNormalizationFusion_MeanOverOtherAxis_LeavesGraphUnchanged()
    {
        var builder = new TestModelBuilder("ln").Input("x", "batch", 3, Hidden)
            .LayerNorm("x", "y", "ln_")
            .Output("y", "batch", 3, Hidden);
        builder.Build().Graph.Node.First(n => n.Name == "ln_mean").Attribute[0].Ints[0] = 1;
        var original = builder.Bytes();

        var (fused, _) = FuseAndVerify(original);

        Assert.AreEqual(0, Count(fused, "LayerNormalization"));
        Assert.AreEqual(9, fused.Graph.Node.Count);
    }
}
