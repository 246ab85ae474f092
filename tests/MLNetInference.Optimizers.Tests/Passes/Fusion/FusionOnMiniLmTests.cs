using Microsoft.ML.OnnxRuntime;
using MLNetInference.Models;
using MLNetInference.Core.Onnx;
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

    [TestMethod]
    public void FusionPasses_MiniLmWithPaddedRow_FusedAttentionHonoursTheMask()
    {
        var original = File.ReadAllBytes(ModelPaths.MiniLmModel);
        var model = OnnxModelIO.Parse(original);
        new PassManager(FusionPasses.Create()).Run(model);
        Assert.AreEqual(6, model.Graph.Node.Count(n => n.OpType == "Attention"));
        var fused = OnnxModelIO.ToBytes(model);

        const int Batch = 2;
        const int Length = 8;
        long[] ids = [101, 2023, 2003, 1037, 3231, 6251, 1012, 102, 101, 7592, 2088, 102, 0, 0, 0, 0];
        long[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0];
        var expected = Run(original, ids, mask, Batch, Length);
        var actual = Run(fused, ids, mask, Batch, Length);
        var unmasked = Run(fused, ids, [.. Enumerable.Repeat(1L, Batch * Length)], Batch, Length);

        Assert.HasCount(expected.Length, actual);
        var maxDiff = expected.Zip(actual, (a, b) => MathF.Abs(a - b)).Max();
        Assert.IsLessThanOrEqualTo(1e-3f, maxDiff);
        var maskMatters = expected.Zip(unmasked, (a, b) => MathF.Abs(a - b)).Max();
        Assert.IsGreaterThan(1e-2f, maskMatters, "the padded row's outputs must depend on the mask, or this test checks nothing");
        Console.WriteLine($"MiniLM fused with a padded row: max abs diff {maxDiff:G3} (mask changes outputs by up to {maskMatters:G3})");
    }

    private static float[] Run(byte[] model, long[] ids, long[] mask, int batch, int length)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, options);
        long[] shape = [batch, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(
            runOptions,
            ["input_ids", "attention_mask", "token_type_ids"],
            [idsValue, maskValue, typesValue],
            ["last_hidden_state"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
