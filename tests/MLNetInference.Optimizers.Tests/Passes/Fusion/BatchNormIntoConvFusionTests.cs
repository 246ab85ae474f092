using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Passes.Fusion;
using MLNetInference.Optimizers.Verification;
using static MLNetInference.Optimizers.Tests.Passes.Fusion.FusionTestGraphs;

namespace MLNetInference.Optimizers.Tests.Passes.Fusion;

[TestClass]
public sealed class BatchNormIntoConvFusionTests
{
    private const int InChannels = 3;
    private const int OutChannels = 4;

    /// <summary>x [batch, 3, 6, 6] → Conv (3×3 kernel, 4 filters, optional bias) → c → BatchNormalization → y [batch, 4, 4, 4].</summary>
    private static TestModelBuilder ConvBatchNorm(bool withBias, float? epsilon = null)
    {
        var b = new TestModelBuilder("convbn").Input("x", "batch", InChannels, 6, 6)
            .Float("w", [OutChannels, InChannels, 3, 3], Values(OutChannels * InChannels * 9, 0.4f))
            .Float("bn_scale", [OutChannels], Values(OutChannels, 0.5f, 1f))
            .Float("bn_bias", [OutChannels], Values(OutChannels, 0.3f, 0.1f))
            .Float("bn_mean", [OutChannels], Values(OutChannels, 0.2f, -0.1f))
            .Float("bn_var", [OutChannels], Values(OutChannels, 0.4f, 0.7f));
        if (withBias)
        {
            b.Float("cb", [OutChannels], Values(OutChannels, 0.25f, 0.05f));
        }

        b.Node("Conv", "conv", withBias ? ["x", "w", "cb"] : ["x", "w"], ["c"])
            .Node("BatchNormalization", "bn", ["c", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["y"])
            .Output("y", "batch", OutChannels, 4, 4);
        if (epsilon is float eps)
        {
            b.Build().Graph.Node[^1].Attribute.Add(new AttributeProto { Name = "epsilon", Type = AttributeProto.Types.AttributeType.Float, F = eps });
        }

        return b;
    }

    [TestMethod]
    [DataRow(true, null)]
    [DataRow(false, null)]
    [DataRow(true, 0.25f)]
    public void BatchNormIntoConvFusion_ConvThenBatchNorm_BecomesOneConvWithSameValues(bool withBias, float? epsilon)
    {
        var original = ConvBatchNorm(withBias, epsilon).Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.HasCount(1, fused.Graph.Node);
        var conv = fused.Graph.Node[0];
        Assert.AreEqual("Conv", conv.OpType);
        Assert.AreEqual("y", conv.Output.Single());
        Assert.HasCount(3, conv.Input);
        Assert.AreEqual("x", conv.Input[0]);
        var initializers = fused.Graph.Initializer.Select(t => t.Name).ToHashSet();
        CollectionAssert.AreEquivalent(new[] { conv.Input[1], conv.Input[2] }, initializers.ToArray(), "the old weights and BN parameters are dropped");
        Assert.IsLessThanOrEqualTo(1e-4, report.MaxAbsDiff);
        Console.WriteLine($"Conv(bias {withBias}, epsilon {epsilon?.ToString() ?? "default"})+BN folded: max abs diff {report.MaxAbsDiff:G3}");
    }

    [TestMethod]
    public void BatchNormIntoConvFusion_ConvOutputAlsoReadElsewhere_LeavesGraphUnchanged()
    {
        var builder = ConvBatchNorm(withBias: true)
            .Node("Relu", "relu", ["c"], ["z"])
            .Output("z", "batch", OutChannels, 4, 4);
        var original = builder.Bytes();

        var (fused, report) = FuseAndVerify(original);

        Assert.AreEqual(3, fused.Graph.Node.Count);
        Assert.AreEqual(1, Count(fused, "BatchNormalization"));
        Assert.AreEqual(6, fused.Graph.Initializer.Count);
        Assert.AreEqual(0d, report.MaxAbsDiff);
    }

    [TestMethod]
    public void BatchNormIntoConvFusion_ConvOutputIsGraphOutput_LeavesGraphUnchanged()
    {
        var original = ConvBatchNorm(withBias: false).Output("c", "batch", OutChannels, 4, 4).Bytes();

        var (fused, _) = FuseAndVerify(original);

        Assert.AreEqual(2, fused.Graph.Node.Count);
        Assert.AreEqual(1, Count(fused, "BatchNormalization"));
    }

    [TestMethod]
    public void BatchNormIntoConvFusion_MeanIsGraphInput_LeavesGraphUnchanged()
    {
        var builder = ConvBatchNorm(withBias: true);
        var graph = builder.Build().Graph;
        graph.Initializer.Remove(graph.Initializer.Single(t => t.Name == "bn_mean"));
        builder.Input("bn_mean", OutChannels);
        var original = builder.Bytes();

        var (fused, _) = FuseAndVerify(original);

        Assert.AreEqual(2, fused.Graph.Node.Count);
        Assert.AreEqual(1, Count(fused, "BatchNormalization"));
    }

    [TestMethod]
    public void BatchNormIntoConvFusion_SecondOutputUsed_LeavesGraphUnchanged()
    {
        var builder = ConvBatchNorm(withBias: true);
        var model = builder.Build();
        var bn = model.Graph.Node.Single(n => n.OpType == "BatchNormalization");
        bn.Output.Add("running_mean");
        var rule = new BatchNormIntoConvFusion();
        var graph = new MLNetInference.Core.Graph.OnnxGraph(model);
        Assert.IsNotNull(rule.TryMatch(graph, graph.Nodes.Single(n => n.OpType == "BatchNormalization")), "with only the first output used the rule applies");

        model = builder.Output("running_mean", OutChannels).Build();
        graph = new MLNetInference.Core.Graph.OnnxGraph(model);

        Assert.IsNull(rule.TryMatch(graph, graph.Nodes.Single(n => n.OpType == "BatchNormalization")));
    }

    [TestMethod]
    public void FusionPasses_ResNet18_FoldsEveryBatchNormAfterConvAndMatchesOriginal()
    {
        var original = File.ReadAllBytes(ModelPaths.ResNet18Model);
        var model = OnnxModelIO.Parse(original);
        var before = model.Graph.Node.Count;
        var batchNormsBefore = Count(model, "BatchNormalization");
        var afterConvBefore = BatchNormsAfterConv(model);
        var manager = new PassManager(FusionPasses.Create());

        Assert.IsTrue(manager.Run(model));

        Assert.IsTrue(manager.LastReport!.ReachedFixpoint);
        var after = model.Graph.Node.Count;
        Assert.IsGreaterThan(0, afterConvBefore, "the model must have BatchNormalization nodes after Conv, or this test checks nothing");
        Assert.AreEqual(0, BatchNormsAfterConv(model));
        Assert.AreEqual(before - afterConvBefore, after);
        var report = ModelVerifier.Compare(original, OnnxModelIO.ToBytes(model), new SampleInputOptions { SampleCount = 2, BatchSize = 1 });
        Assert.IsTrue(report.AllCompared, string.Join("; ", report.Outputs.Select(o => o.Problem)));
        Assert.IsLessThanOrEqualTo(1e-3, report.MaxAbsDiff);
        Assert.AreEqual(1d, report.Top1Agreement);
        Console.WriteLine(
            $"ResNet18: {before} -> {after} nodes; BatchNormalization {batchNormsBefore} -> {Count(model, "BatchNormalization")} " +
            $"({afterConvBefore} directly after a Conv before); max abs diff {report.MaxAbsDiff:G3}, min cosine {report.MinCosine:F7}, top-1 agreement {report.Top1Agreement}");
    }

    private static int BatchNormsAfterConv(ModelProto model)
    {
        var producers = model.Graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        return model.Graph.Node.Count(n => n.OpType == "BatchNormalization"
            && producers.TryGetValue(n.Input[0], out var p) && p.OpType == "Conv");
    }
}
