using MLNetInference.Models;
using static MLNetInference.Optimizers.Tests.Passes.Fusion.FusionTestGraphs;

namespace MLNetInference.Optimizers.Tests.Passes.Fusion;

[TestClass]
public sealed class GeluFusionTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void GeluFusion_ErfGeluOnGraphInput_BecomesOneGelu(bool halfFirst)
    {
        var original = new TestModelBuilder("gelu").Input("x", "batch", Hidden)
            .Gelu("x", "y", "g_", halfFirst)
            .Output("y", "batch", Hidden)
            .Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.HasCount(1, fused.Graph.Node);
        Assert.AreEqual("Gelu", fused.Graph.Node[0].OpType);
        Assert.AreEqual("com.microsoft", fused.Graph.Node[0].Domain);
        Assert.IsTrue(fused.OpsetImport.Any(o => o.Domain == "com.microsoft"));
        Assert.IsLessThanOrEqualTo(1e-4, report.MaxAbsDiff);
    }

    [TestMethod]
    public void BiasGeluFusion_ConstantBiasAddBeforeGelu_BecomesOneBiasGelu()
    {
        var original = new TestModelBuilder("biasgelu").Input("x", "batch", Hidden)
            .Float("bias", [Hidden], Values(Hidden, 0.7f))
            .Node("Add", "addbias", ["bias", "x"], ["xb"])
            .Gelu("xb", "y", "g_")
            .Output("y", "batch", Hidden)
            .Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.HasCount(1, fused.Graph.Node);
        var node = fused.Graph.Node[0];
        Assert.AreEqual("BiasGelu", node.OpType);
        CollectionAssert.AreEqual(new[] { "x", "bias" }, node.Input.ToArray());
        Assert.IsLessThanOrEqualTo(1e-4, report.MaxAbsDiff);
    }

    [TestMethod]
    public void GeluFusion_WrongHalfConstant_LeavesGraphUnchanged()
    {
        var builder = new TestModelBuilder("gelu").Input("x", "batch", Hidden)
            .Gelu("x", "y", "g_")
            .Output("y", "batch", Hidden);
        builder.Build().Graph.Initializer.Single(t => t.Name == "g_half").RawData =
            Google.Protobuf.ByteString.CopyFrom(BitConverter.GetBytes(0.25f));
        var original = builder.Bytes();

        var (fused, _) = FuseAndVerify(original);

        Assert.AreEqual(0, Count(fused, "Gelu"));
        Assert.AreEqual(5, fused.Graph.Node.Count);
    }

    [TestMethod]
    public void BiasGeluFusion_SumAlsoGraphOutput_KeepsAddAndPlainGelu()
    {
        var original = new TestModelBuilder("biasgelu").Input("x", "batch", Hidden)
            .Float("bias", [Hidden], Values(Hidden, 0.7f))
            .Node("Add", "addbias", ["x", "bias"], ["xb"])
            .Gelu("xb", "y", "g_")
            .Output("y", "batch", Hidden)
            .Output("xb", "batch", Hidden)
            .Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.AreEqual(0, Count(fused, "BiasGelu"));
        Assert.AreEqual(1, Count(fused, "Gelu"));
        Assert.AreEqual(1, Count(fused, "Add"));
        Assert.IsLessThanOrEqualTo(1e-4, report.MaxAbsDiff);
    }
}
