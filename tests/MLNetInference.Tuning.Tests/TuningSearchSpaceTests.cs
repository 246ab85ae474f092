using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Models;
using MLNetInference.Optimizers.Quantization;
using MLNetInference.Optimizers.Quantization.Int4;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Tuning.Tests;

[TestClass]
public sealed class TuningSearchSpaceTests
{
    private const string Int4Int8Compute = "int4-int8-compute";

    [TestMethod]
    public void CreateDefault_FastInt8_AlsoSearchesInt4WithInt8Compute()
    {
        var space = TuningSearchSpace.CreateDefaultFor(gpu: false, quick: false, fastInt8: true);
        space.Validate();

        var plain = space.Recipes.Single(r => r.Name == "int4-weights");
        var int8Compute = space.Recipes.Single(r => r.Name == Int4Int8Compute);
        Assert.AreEqual(plain.Recipe, int8Compute.Recipe);
        Assert.AreEqual(4, int8Compute.Int4!.AccuracyLevel);

        // Everything else is the recipe's default, so the two trials differ only in how MatMulNBits computes.
        var defaults = Int4Options.RecipeDefault;
        Assert.AreEqual(defaults.BlockSize, int8Compute.Int4.BlockSize);
        Assert.AreEqual(defaults.Symmetric, int8Compute.Int4.Symmetric);
        Assert.AreEqual(defaults.ErrorMinimizingScales, int8Compute.Int4.ErrorMinimizingScales);
        Assert.AreEqual(defaults.KeepMostSensitiveInFloat, int8Compute.Int4.KeepMostSensitiveInFloat);
        Assert.AreNotEqual(plain.Key, int8Compute.Key, "the trial cache must not mistake one for the other");
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, true)]
    public void CreateDefault_WithoutFastInt8OrQuick_LeavesInt4WithInt8ComputeOut(bool quick, bool fastInt8)
    {
        var space = TuningSearchSpace.CreateDefaultFor(gpu: false, quick: quick, fastInt8: fastInt8);

        Assert.IsFalse(space.Recipes.Any(r => r.Name == Int4Int8Compute), string.Join(", ", space.Recipes));
    }

    [TestMethod]
    public void CreateDefault_PublicOverload_FollowsThisCpu()
    {
        var names = TuningSearchSpace.CreateDefault().Recipes.Select(r => r.Name).ToList();

        Assert.AreEqual(CpuInt8Kernels.HasFastInt8, names.Contains(Int4Int8Compute), string.Join(", ", names));
    }

    [TestMethod]
    public void Int4WithInt8ComputeCandidate_OnAnEncoder_WritesAccuracyLevel4ThatOnnxRuntimeRuns()
    {
        var candidate = TuningSearchSpace.CreateDefaultFor(gpu: false, quick: false, fastInt8: true).Recipes.Single(r => r.Name == Int4Int8Compute);
        var model = ZooModels.Get("bert-opset11-pt2").Model;

        var result = ModelOptimizer.Optimize(model, OptimizationRecipe.Parse(candidate.Recipe), new RecipeContext { Int4 = candidate.Int4 });

        Assert.IsTrue(result.Applied, result.UnchangedReason);
        var nbits = OnnxModelIO.Parse(result.Model).Graph.Node.Where(n => n.OpType == "MatMulNBits").ToList();
        Assert.IsNotEmpty(nbits);
        Assert.IsTrue(nbits.All(n => n.Attribute.Single(a => a.Name == "accuracy_level").I == 4));
        using var session = new InferenceSession(result.Model);
        Assert.IsNotEmpty(session.OutputNames);
    }
}
