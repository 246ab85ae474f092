using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Optimizers.Tests.Recipes;

/// <summary>Every recipe step, alone and after <c>fuse</c>, on the real ResNet18: a valid model that keeps its features.</summary>
[TestClass]
public sealed class EveryRecipeOnResNet18Tests
{
    private static byte[] s_original = [];

    [ClassInitialize]
    public static void LoadModel(TestContext context) => s_original = File.ReadAllBytes(ModelPaths.ResNet18Model);

    [TestMethod]
    [DataRow("fuse")]
    [DataRow("int8-dynamic")]
    [DataRow("int8-dynamic-sensitive")]
    [DataRow("int8-static")]
    [DataRow("fp16")]
    [DataRow("int4-weights")]
    [DataRow("fuse+int8-dynamic")]
    [DataRow("fuse+int8-static")]
    [DataRow("fuse+fp16")]
    [DataRow("fuse+int4-weights")]
    public void Optimize_Recipe_KeepsTheFeatures(string recipe)
    {
        var result = ModelOptimizer.Optimize(s_original, OptimizationRecipe.Parse(recipe));

        Assert.AreEqual(recipe, result.Recipe);
        var optimized = OnnxModelIO.Parse(result.Model);
        Assert.IsNotEmpty(optimized.Graph.Node);
        Assert.IsTrue(result.Verification.AllCompared, string.Join("; ", result.Verification.Outputs.Select(o => $"{o.Name}: {o.Problem}")));
        var features = result.Verification.Outputs.Single();
        Assert.IsGreaterThanOrEqualTo(0.98, features.MinCosine, $"{recipe}: feature cosine mean {features.MeanCosine:F4}, min {features.MinCosine:F4}");
        if (recipe.StartsWith("fuse", StringComparison.Ordinal))
        {
            Assert.AreEqual(0, optimized.Graph.Node.Count(n => n.OpType == "BatchNormalization"), "fuse folds the BatchNormalization nodes into their Conv");
        }

        if (recipe.EndsWith("int8-static", StringComparison.Ordinal))
        {
            Assert.IsGreaterThan(0, optimized.Graph.Node.Count(n => n.OpType == "QuantizeLinear"), "static INT8 inserts Q/DQ pairs");
        }
    }
}
