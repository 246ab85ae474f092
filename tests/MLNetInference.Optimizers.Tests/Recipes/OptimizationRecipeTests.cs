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
    public void CreatePasses_StepNotImplemented_ThrowsNotSupportedNamingIt()
    {
        var recipe = OptimizationRecipe.Parse("int8-static");

        var ex = Assert.ThrowsExactly<NotSupportedException>(() => recipe.CreatePasses());

        StringAssert.Contains(ex.Message, "int8-static");
    }
}
