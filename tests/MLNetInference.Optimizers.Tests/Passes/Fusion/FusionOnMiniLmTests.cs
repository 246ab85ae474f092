using Microsoft.ML.OnnxRuntime;
using MLNetInference.Models;
using MLNetInference.Onnx;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Passes.Fusion;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Passes.Fusion;

[TestClass]
public sealed class FusionOnMiniLmTests
{
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void FusionPasses_MiniLm_FusesNormsGelusAndAttentionAndMatchesOriginal(bool includeAttention)
    {
        var original = File.ReadAllBytes(ModelPaths.MiniLmModel);
        var model = OnnxModelIO.Parse(original);
        var before = model.Graph.Node.Count;
        var manager = new PassManager(FusionPasses.Create(includeAttention));

        Assert.IsTrue(manager.Run(model));

        Assert.IsTrue(manager.LastReport!.ReachedFixpoint);
        var after = model.Graph.Node.Count;
        int Count(string op) => model.Graph.Node.Count(n => n.OpType == op);
        Assert.AreEqual(1, Count("LayerNormalization"), "the embedding norm");
        Assert.AreEqual(12, Count("SkipLayerNormalization"), "two per layer");
        Assert.AreEqual(6, Count("BiasGelu"));
        Assert.AreEqual(0, Count("Gelu"));
        Assert.AreEqual(0, Count("Erf"));
        Assert.AreEqual(0, Count("ReduceMean"));
        Assert.AreEqual(0, Count("Sqrt"));
        Assert.IsLessThan(before - 150, after);
        Assert.AreEqual(includeAttention ? 6 : 0, Count("Attention"));
        if (includeAttention)
        {
            Assert.AreEqual(0, Count("Softmax"));
            Assert.IsLessThanOrEqualTo(80, after);
        }

        var fused = OnnxModelIO.ToBytes(model);
        var inputs = new SampleInputOptions { SampleCount = 2, BatchSize = 2, SequenceLength = 16 };
        var report = ModelVerifier.Compare(original, fused, inputs);
        Assert.IsTrue(report.AllCompared, string.Join("; ", report.Outputs.Select(o => o.Problem)));
        var hidden = report.Outputs.Single(o => o.Name == "last_hidden_state");
        Assert.IsLessThanOrEqualTo(1e-3, hidden.MaxAbsDiff);
        Assert.IsGreaterThanOrEqualTo(0.9999, hidden.MinCosine);

        var all = ModelVerifier.Compare(original, fused, inputs, new VerificationOptions { OptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });
        Assert.IsTrue(all.AllCompared, string.Join("; ", all.Outputs.Select(o => o.Problem)));
        Assert.IsLessThanOrEqualTo(1e-3, all.MaxAbsDiff);
        Console.WriteLine($"MiniLM fusion (attention {includeAttention}): {before} -> {after} nodes; last_hidden_state max abs diff {hidden.MaxAbsDiff:G3}, min cosine {hidden.MinCosine:F7}; under ORT_ENABLE_ALL max abs diff {all.MaxAbsDiff:G3}, min cosine {all.MinCosine:F7}");
    }
}
