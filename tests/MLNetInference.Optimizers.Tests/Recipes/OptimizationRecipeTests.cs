using MLNetInference.Optimizers.Recipes;

namespace MLNetInference.Optimizers.Tests.Recipes;

[TestClass]
public sealed class OptimizationRecipeTests
{
    [TestMethod]
    public void Parse_CombinedSteps_KeepsTheirOrder()
    {
        var recipe = OptimizationRecipe.Parse("fuse+int8-dynamic");

        CollectionAssert.AreEqual(new[] { "fuse", "int8-dynamic" }, recipe.StepNames.ToArray());
        Assert.AreEqual("fuse+int8-dynamic", recipe.ToString());
    }

    [TestMethod]
    [DataRow("fuse+turbo", "turbo")]
    [DataRow("fuse+fuse", "twice")]
    [DataRow("+", "names no step")]
    public void Parse_BadRecipe_ThrowsNamingTheProblem(string text, string expected)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => OptimizationRecipe.Parse(text));

        StringAssert.Contains(ex.Message, expected);
    }

    [TestMethod]
    public void CreatePasses_Int8Static_FoldsBatchNormThenQuantizesStatically()
    {
        var recipe = OptimizationRecipe.Parse("int8-static");

        var passes = recipe.CreatePasses().Passes;

        Assert.IsInstanceOfType<MLNetInference.Optimizers.Quantization.Static.StaticInt8QuantizationPass>(passes[^1]);
    }

    [TestMethod]
    [DataRow("fuse", false, false)]
    [DataRow("fuse+fp16", false, false)]
    [DataRow("fuse", true, true)]
    [DataRow("fuse+fp16", true, true)]
    [DataRow("fuse+int8-dynamic", true, false)]
    [DataRow("fuse+int8-dynamic-sensitive", true, false)]
    public void CreatePasses_Fuse_FoldsSkipLayerNormAndBiasGeluOnlyWhenAskedAndNeverBeforeDynamicInt8(string text, bool asked, bool expected)
    {
        var names = OptimizationRecipe.Parse(text).CreatePasses(new RecipeContext { FuseSkipLayerNormalizationAndBiasGelu = asked }).Passes.Select(p => p.Name).ToList();

        Assert.Contains("fuse-layernorm-gelu-attention", names);
        Assert.AreEqual(expected, names.Contains("fuse-skiplayernorm-biasgelu"), string.Join(", ", names));
    }
}
