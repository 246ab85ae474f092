using System.Diagnostics;
using MLNetInference.Core.Graph;
using MLNetInference.Core.Onnx;
using MLNetInference.Models;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Passes.Fusion;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Optimizers.Tests.Zoo;

/// <summary>Every recipe on every zoo model: a valid, verified model within the recipe's tolerance, or the original unchanged with a reason.</summary>
[TestClass]
public sealed class ZooRecipeTests
{
    /// <summary>Gets the single steps and every step after <c>fuse</c>.</summary>
    public static IReadOnlyList<string> Recipes { get; } =
        [.. OptimizationRecipe.KnownSteps, .. OptimizationRecipe.KnownSteps.Where(s => s != OptimizationRecipe.Fuse).Select(s => OptimizationRecipe.Fuse + "+" + s)];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Optimize_EveryRecipeOnEveryZooModel_OptimizesWithinToleranceOrLeavesItUnchangedWithAReason()
    {
        var folder = Path.Combine(Path.GetTempPath(), "mlnet-zoo-" + Guid.NewGuid().ToString("N"));
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        try
        {
            foreach (var zoo in ZooModels.All)
            {
                // A model with side files is optimized from its loaded bytes, as the CLI and the tuner do.
                var bytes = zoo.HasExternalData ? OnnxModelIO.ToBytes(OnnxModelIO.Load(zoo.WriteTo(folder))) : zoo.Model;
                var original = OnnxModelIO.Parse(bytes);
                var originalProblems = ModelChecks.FindSchemaProblems(original);
                Assert.IsEmpty(originalProblems, $"{zoo.Name} is itself valid: {string.Join(" ", originalProblems)}");
                foreach (var name in Recipes)
                {
                    var recipe = OptimizationRecipe.Parse(name);
                    OptimizationResult result;
                    try
                    {
                        result = ModelOptimizer.Optimize(bytes, recipe, new RecipeContext());
                    }
                    catch (Exception ex)
                    {
                        failures.Add($"{zoo.Name} / {name}: {ex.GetType().Name}: {ex.Message}");
                        continue;
                    }

                    TestContext.WriteLine($"{zoo.Name} / {name}: {(result.Applied ? $"applied, {result.NodesBefore} -> {result.NodesAfter} nodes, cosine {result.Verification.MeanCosine:F6}" : $"unchanged: {result.UnchangedReason}")}{(result.RolledBack.Count > 0 ? " | rolled back: " + string.Join("; ", result.RolledBack) : string.Empty)}");
                    if (!result.Applied)
                    {
                        if (string.IsNullOrWhiteSpace(result.UnchangedReason) || !result.Model.AsSpan().SequenceEqual(bytes))
                        {
                            failures.Add($"{zoo.Name} / {name}: unchanged without a reason, or changed bytes");
                        }

                        continue;
                    }

                    var optimized = OnnxModelIO.Parse(result.Model);
                    var problems = ModelChecks.FindSchemaProblems(optimized);
                    if (problems.Count > 0)
                    {
                        failures.Add($"{zoo.Name} / {name}: schema problems {string.Join(" ", problems)}");
                    }

                    if (OpsetInfo.GetDefaultOpset(optimized) != zoo.Opset && !name.Contains(OptimizationRecipe.Int8Static, StringComparison.Ordinal))
                    {
                        failures.Add($"{zoo.Name} / {name}: the default opset moved from {zoo.Opset} to {OpsetInfo.GetDefaultOpset(optimized)}");
                    }

                    if (!result.Verification.AllCompared || result.Verification.MeanCosine < recipe.MinMeanCosine)
                    {
                        failures.Add($"{zoo.Name} / {name}: cosine {result.Verification.MeanCosine} under {recipe.MinMeanCosine}");
                    }
                }
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        TestContext.WriteLine($"{ZooModels.All.Count} models x {Recipes.Count} recipes in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures));
    }

    [TestMethod]
    [DataRow("bert-opset11-pt2")]
    [DataRow("bert-opset11-pt1")]
    [DataRow("bert-opset13-pt1")]
    [DataRow("bert-opset17-where")]
    [DataRow("bert-opset18-pt2")]
    public void Optimize_FuseOnEncoder_FusesLayerNormAndGeluWithoutRaisingTheOpset(string name)
    {
        var zoo = ZooModels.Get(name);

        var result = ModelOptimizer.Optimize(zoo.Model, OptimizationRecipe.Parse("fuse"), new RecipeContext());

        Assert.IsTrue(result.Applied, result.UnchangedReason);
        Assert.IsEmpty(result.RolledBack, string.Join("; ", result.RolledBack));
        var optimized = OnnxModelIO.Parse(result.Model);
        Assert.AreEqual(zoo.Opset, OpsetInfo.GetDefaultOpset(optimized));
        Assert.IsFalse(optimized.Graph.Node.Any(n => n.OpType == "ReduceMean"), "every decomposed layer norm fused");
        Assert.IsTrue(optimized.Graph.Node.Any(n => n.OpType is "LayerNormalization" or "SkipLayerNormalization"));
        Assert.IsTrue(optimized.Graph.Node.Any(n => n.OpType is "Gelu" or "BiasGelu" && n.Domain == OpsetInfo.MicrosoftDomain));
        Assert.IsGreaterThan(0.9999, result.Verification.MeanCosine);
    }

    [TestMethod]
    [DataRow("bert-opset11-pt2")]
    [DataRow("bert-opset11-pt1")]
    [DataRow("bert-opset13-pt1")]
    [DataRow("bert-opset14-pt2-tanh")]
    [DataRow("bert-opset17-where")]
    [DataRow("bert-opset20-gelu")]
    public void Optimize_FuseOnPyTorchMaskEncoder_FusesAttention(string name)
    {
        var result = ModelOptimizer.Optimize(ZooModels.Get(name).Model, OptimizationRecipe.Parse("fuse"), new RecipeContext());

        Assert.IsTrue(OnnxModelIO.Parse(result.Model).Graph.Node.Any(n => n.OpType == "Attention" && n.Domain == OpsetInfo.MicrosoftDomain));
    }

    [TestMethod]
    [DataRow(8L)]
    [DataRow(7L)]
    public void Optimize_FuseOnEncoderBeforeOpset9_LeavesAttentionUnfusedAndSaysWhy(long opset)
    {
        // Where (the masked_fill mask) exists from opset 9, and the attention rule declares it: below 9 the rule does
        // not take part, and the result says so. The rest of fuse (LayerNorm, FastGelu) still applies, at the model's opset.
        var model = OnnxModelIO.Parse(ZooModels.Get("bert-opset8-tanh").Model);
        model.OpsetImport.Single(o => o.Domain.Length == 0).Version = opset;
        var bytes = OnnxModelIO.ToBytes(model);
        Assert.IsEmpty(ModelChecks.FindSchemaProblems(model), "the opset-8 encoder is valid at opset 7 too");

        var result = ModelOptimizer.Optimize(bytes, OptimizationRecipe.Parse("fuse"), new RecipeContext());

        Assert.IsTrue(result.Applied, result.UnchangedReason);
        Assert.IsEmpty(result.RolledBack, string.Join("; ", result.RolledBack));
        var optimized = OnnxModelIO.Parse(result.Model);
        Assert.AreEqual(opset, OpsetInfo.GetDefaultOpset(optimized));
        Assert.IsFalse(optimized.Graph.Node.Any(n => n.OpType == "Attention"));
        Assert.AreEqual(model.Graph.Node.Count(n => n.OpType == "Softmax"), optimized.Graph.Node.Count(n => n.OpType == "Softmax"), "the attention pattern is left whole");
        Assert.IsTrue(optimized.Graph.Node.Any(n => n.OpType == "FastGelu" && n.Domain == OpsetInfo.MicrosoftDomain));
        Assert.IsFalse(optimized.Graph.Node.Any(n => n.OpType == "ReduceMean"), "every decomposed layer norm fused");
        var skip = result.SkippedRules.Single(s => s.RuleName == "attention-fusion");
        StringAssert.Contains(skip.Reason, "Where[9..]");
        StringAssert.Contains(skip.Reason, $"opset {opset}");
        Assert.IsGreaterThan(0.9999, result.Verification.MeanCosine);
    }

    [TestMethod]
    public void Optimize_AttentionOnlyOnOpset8Encoder_LeavesItUnchangedWithTheReason()
    {
        var zoo = ZooModels.Get("bert-opset8-tanh");
        var model = OnnxModelIO.Parse(zoo.Model);
        var manager = new PassManager([new RuleBasedPass("attention", [new AttentionFusion()])]);

        var changed = manager.Run(model);

        Assert.IsFalse(changed);
        CollectionAssert.AreEqual(zoo.Model, OnnxModelIO.ToBytes(model));
        StringAssert.Contains(manager.LastReport!.SkippedRules.Single().Reason, "Where[9..], and the model imports ai.onnx opset 8");
    }

    [TestMethod]
    [DataRow("bert-opset8-tanh")]
    [DataRow("bert-opset12-tanh")]
    [DataRow("bert-opset14-pt2-tanh")]
    public void Optimize_FuseOnTanhGeluEncoder_FusesFastGeluAtTheModelsOpset(string name)
    {
        var zoo = ZooModels.Get(name);

        var result = ModelOptimizer.Optimize(zoo.Model, OptimizationRecipe.Parse("fuse"), new RecipeContext());

        var optimized = OnnxModelIO.Parse(result.Model);
        Assert.IsTrue(optimized.Graph.Node.Any(n => n.OpType == "FastGelu" && n.Domain == OpsetInfo.MicrosoftDomain));
        Assert.IsFalse(optimized.Graph.Node.Any(n => n.OpType == "Tanh"), "every tanh GELU fused");
        Assert.AreEqual(zoo.Opset, OpsetInfo.GetDefaultOpset(optimized));
        Assert.IsGreaterThan(0.9999, result.Verification.MeanCosine);
    }

    [TestMethod]
    public void Optimize_ExternalDataModelFromItsBytesAlone_LeavesItUnchangedWithTheReason()
    {
        var zoo = ZooModels.Get("bert-opset13-external");

        var result = ModelOptimizer.Optimize(zoo.Model, OptimizationRecipe.Parse("fuse"), new RecipeContext());

        Assert.IsFalse(result.Applied);
        Assert.Contains("external data", result.UnchangedReason!);
        CollectionAssert.AreEqual(zoo.Model, result.Model);
    }
}
