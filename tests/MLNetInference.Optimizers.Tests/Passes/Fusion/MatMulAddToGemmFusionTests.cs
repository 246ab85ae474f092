using MLNetInference.Models;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Passes.Fusion;
using MLNetInference.Optimizers.Tests.Quantization;

namespace MLNetInference.Optimizers.Tests.Passes.Fusion;

[TestClass]
public sealed class MatMulAddToGemmFusionTests
{
    [TestMethod]
    public void Fuse_TwoDMatMulWithBias_BecomesGemmWithSameOutput()
    {
        var weights = SmallGraphs.Random(SmallGraphs.Inner * SmallGraphs.Columns, seed: 1);
        var bias = SmallGraphs.Random(SmallGraphs.Columns, seed: 2);
        var x = SmallGraphs.Random(SmallGraphs.Rows * SmallGraphs.Inner, seed: 3);
        var model = SmallGraphs.MatMulAdd(weights, bias);
        var expected = SmallGraphs.Run(model, x);

        Assert.IsTrue(Pass().Run(model));

        var gemm = model.Graph.Node.Single();
        Assert.AreEqual("Gemm", gemm.OpType);
        CollectionAssert.AreEqual(new[] { "X", "W", "bias" }, gemm.Input.ToArray());
        Assert.AreEqual("Y", gemm.Output.Single());
        var actual = SmallGraphs.Run(model, x);
        Assert.IsLessThanOrEqualTo(1e-5f, expected.Zip(actual, (a, b) => MathF.Abs(a - b)).Max());
    }

    [TestMethod]
    public void Fuse_ProductAlsoGraphOutput_StaysMatMulAdd()
    {
        var model = SmallGraphs.MatMulAdd(SmallGraphs.Random(SmallGraphs.Inner * SmallGraphs.Columns, 1), SmallGraphs.Random(SmallGraphs.Columns, 2), alsoOutputProduct: true);

        Assert.IsFalse(Pass().Run(model));
        Assert.AreEqual(0, model.Graph.Node.Count(n => n.OpType == "Gemm"));
    }

    [TestMethod]
    public void Fuse_ThreeDActivation_StaysMatMulAdd()
    {
        var model = new TestModelBuilder("3d").Input("x", "batch", "seq", 4)
            .Float("w", [4, 3], SmallGraphs.Random(12, 1)).Float("b", [3], 0.1f, 0.2f, 0.3f)
            .Node("MatMul", "mm", ["x", "w"], ["p"]).Node("Add", "add", ["p", "b"], ["y"])
            .Output("y", "batch", "seq", 3).Build();

        Assert.IsFalse(Pass().Run(model));
        Assert.AreEqual("MatMul", model.Graph.Node[0].OpType);
    }

    [TestMethod]
    public void Fuse_FlattenedActivation_BecomesGemm()
    {
        var model = new TestModelBuilder("flatten").Input("x", "batch", 2, 2)
            .Float("w", [4, 3], SmallGraphs.Random(12, 1)).Float("b", [1, 3], 0.1f, 0.2f, 0.3f)
            .Node("Flatten", "flatten", ["x"], ["f"])
            .Node("MatMul", "mm", ["f", "w"], ["p"]).Node("Add", "add", ["b", "p"], ["y"])
            .Output("y", "batch", 3).Build();

        Assert.IsTrue(Pass().Run(model));

        CollectionAssert.AreEqual(new[] { "Flatten", "Gemm" }, model.Graph.Node.Select(n => n.OpType).ToArray());
        Assert.AreEqual("b", model.Graph.Node[1].Input[2]);
    }

    [TestMethod]
    public void Fuse_SmallMlpFixture_BothLayersBecomeGemmWithSameScores()
    {
        var original = FixtureModels.SmallMlp();

        var result = ModelOptimizer.Optimize(original, OptimizationRecipe.Parse("fuse"));

        var model = OnnxModelIO.Parse(result.Model);
        CollectionAssert.AreEqual(new[] { "Gemm", "Relu", "Gemm" }, model.Graph.Node.Select(n => n.OpType).ToArray());
        Assert.IsTrue(result.Verification.AllCompared);
        Assert.IsLessThanOrEqualTo(1e-5, result.Verification.MaxAbsDiff);
    }

    private static RuleBasedPass Pass() => new("fuse-matmul-add-gemm", [new MatMulAddToGemmFusion()]);
}
