using MLNetInference.Models;
using static MLNetInference.Optimizers.Tests.Passes.Fusion.FusionTestGraphs;

namespace MLNetInference.Optimizers.Tests.Passes.Fusion;

[TestClass]
public sealed class SkipLayerNormalizationFusionTests
{
    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void SkipLayerNormalizationFusion_ProjectionPlusResidualThenNorm_BecomesMatMulAndSkipLayerNorm(bool withBias)
    {
        var builder = new TestModelBuilder("skip").Input("x", "batch", 3, Hidden).Input("r", "batch", 3, Hidden)
            .Float("w", [Hidden, Hidden], Values(Hidden * Hidden, 0.4f))
            .Float("bias", [Hidden], Values(Hidden, 0.5f))
            .Node("MatMul", "mm", ["x", "w"], ["p"]);
        if (withBias)
        {
            builder.Node("Add", "addbias", ["bias", "p"], ["pb"]).Node("Add", "residual", ["pb", "r"], ["s"]);
        }
        else
        {
            builder.Node("Add", "residual", ["r", "p"], ["s"]);
        }

        var original = builder.LayerNorm("s", "y", "ln_").Output("y", "batch", 3, Hidden).Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.HasCount(2, fused.Graph.Node);
        Assert.AreEqual("MatMul", fused.Graph.Node[0].OpType);
        var node = fused.Graph.Node[1];
        Assert.AreEqual("SkipLayerNormalization", node.OpType);
        Assert.AreEqual("com.microsoft", node.Domain);
        var expectedInputs = withBias
            ? new[] { "p", "r", "ln_gamma", "ln_beta", "bias" }
            : ["p", "r", "ln_gamma", "ln_beta"];
        CollectionAssert.AreEqual(expectedInputs, node.Input.ToArray());
        Assert.AreEqual(1e-12f, node.Attribute.Single(a => a.Name == "epsilon").F, 1e-15f);
        Assert.IsLessThanOrEqualTo(1e-4, report.MaxAbsDiff);
    }

    [TestMethod]
    public void SkipLayerNormalizationFusion_SumOfTwoInputsWithoutProjection_StaysAddAndLayerNormalization()
    {
        var original = new TestModelBuilder("skip").Input("a", "batch", 3, Hidden).Input("b", 1, 3, Hidden)
            .Node("Add", "sum", ["a", "b"], ["s"])
            .LayerNorm("s", "y", "ln_")
            .Output("y", "batch", 3, Hidden)
            .Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.AreEqual(0, Count(fused, "SkipLayerNormalization"));
        Assert.AreEqual(1, Count(fused, "LayerNormalization"));
        Assert.HasCount(2, fused.Graph.Node);
        Assert.IsLessThanOrEqualTo(1e-4, report.MaxAbsDiff);
    }

    [TestMethod]
    public void SkipLayerNormalizationFusion_SumReadElsewhere_StaysAddAndLayerNormalization()
    {
        var original = new TestModelBuilder("skip").Input("x", "batch", 3, Hidden).Input("r", "batch", 3, Hidden)
            .Float("w", [Hidden, Hidden], Values(Hidden * Hidden, 0.4f))
            .Node("MatMul", "mm", ["x", "w"], ["p"])
            .Node("Add", "residual", ["p", "r"], ["s"])
            .LayerNorm("s", "y", "ln_")
            .Output("y", "batch", 3, Hidden)
            .Output("s", "batch", 3, Hidden)
            .Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.AreEqual(0, Count(fused, "SkipLayerNormalization"));
        Assert.AreEqual(1, Count(fused, "LayerNormalization"));
        Assert.HasCount(3, fused.Graph.Node);
        Assert.IsLessThanOrEqualTo(1e-4, report.MaxAbsDiff);
    }
}
