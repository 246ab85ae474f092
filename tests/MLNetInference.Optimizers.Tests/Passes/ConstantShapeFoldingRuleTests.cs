using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Passes.Rules;
using MLNetInference.Optimizers.Recipes;
using MLNetInference.Models;

namespace MLNetInference.Optimizers.Tests.Passes;

[TestClass]
public sealed class ConstantShapeFoldingRuleTests
{
    [TestMethod]
    public void Fold_ShapeOfStaticDimsThroughGatherUnsqueezeConcat_BecomesOneInitializerWithSameOutput()
    {
        // x [batch, 6, 4] → Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 1)), [-1])) = [6, batch·4]... the batch dim is
        // symbolic, dim 1 is static, so only the Gather of dim 1 and what follows it fold.
        var model = ReshapeModel();
        var original = OnnxModelIO.ToBytes(model);

        Assert.IsTrue(Pass().Run(model));
        new DeadCodeElimination().Run(model);

        Assert.IsFalse(model.Graph.Node.Any(n => n.OpType is "Shape" or "Gather" or "Unsqueeze" or "Concat"), string.Join(", ", model.Graph.Node.Select(n => n.OpType)));
        var reshape = model.Graph.Node.Single();
        Assert.AreEqual("Reshape", reshape.OpType);
        var shape = model.Graph.Initializer.Single(i => i.Name == reshape.Input[1]);
        Assert.IsTrue(TensorData.TryReadInt64(shape, out var values));
        CollectionAssert.AreEqual(new long[] { 6, -1 }, values);
        CollectionAssert.AreEqual(Run(original), Run(OnnxModelIO.ToBytes(model)));
    }

    [TestMethod]
    public void Fold_GatherOfSymbolicDim_StaysUnfolded()
    {
        var model = ReshapeModel(gatherIndex: 0);

        Assert.IsFalse(Pass().Run(model));

        Assert.AreEqual(1, model.Graph.Node.Count(n => n.OpType == "Shape"));
        Assert.AreEqual(1, model.Graph.Node.Count(n => n.OpType == "Gather"));
    }

    [TestMethod]
    public void Fold_Int64Arithmetic_IsEvaluated()
    {
        var b = new TestModelBuilder("arith").Input("x", 2, 12)
            .Int64("a", [2], 3, 4).Int64("two", [], 2)
            .Node("Mul", "mul", ["a", "two"], ["a2"])
            .Node("Sub", "sub", ["a2", "two"], ["shape"])
            .Node("Reshape", "reshape", ["x", "shape"], ["y"]).Output("y", 4, 6);
        var model = b.Build();

        Assert.IsTrue(Pass().Run(model));

        Assert.AreEqual("Reshape", model.Graph.Node.Single().OpType);
        Assert.IsTrue(TensorData.TryReadInt64(model.Graph.Initializer.Single(i => i.Name == "shape"), out var values));
        CollectionAssert.AreEqual(new long[] { 4, 6 }, values);
    }

    [TestMethod]
    public void Fold_NodeFeedingGraphOutput_Stays()
    {
        var model = new TestModelBuilder("out").Input("x", 2, 3).Node("Shape", "shape", ["x"], ["s"]).Build();
        model.Graph.Output.Add(TestModelBuilder.ValueInfo("s", TensorProto.Types.DataType.Int64, [2]));

        Assert.IsFalse(Pass().Run(model));
        Assert.AreEqual("Shape", model.Graph.Node.Single().OpType);
    }

    [TestMethod]
    public void Fuse_MiniLm_FoldingKeepsTheNodeCountAndOutputs()
    {
        // MiniLM's shape arithmetic reads the symbolic batch and sequence dims, so nothing there is truly constant:
        // the rule must leave it (the fused graph keeps its 62 nodes, SkipLayerNormalization included) and the result must verify.
        var result = ModelOptimizer.Optimize(File.ReadAllBytes(ModelPaths.MiniLmModel), OptimizationRecipe.Parse("fuse"), new RecipeContext { FuseSkipLayerNormalizationAndBiasGelu = true });

        Assert.AreEqual(62, result.NodesAfter);
        Assert.IsLessThanOrEqualTo(1e-4, result.Verification.MaxAbsDiff);
    }

    private static RuleBasedPass Pass() => new("fold-constant-shapes", [new ConstantShapeFoldingRule()]);

    private static ModelProto ReshapeModel(long gatherIndex = 1)
    {
        var b = new TestModelBuilder("reshape").Input("x", "batch", 6, 4)
            .Int64("index", [], gatherIndex).Int64("axes", [1], 0).Int64("rest", [1], -1)
            .Node("Shape", "shape", ["x"], ["s"])
            .Node("Gather", "gather", ["s", "index"], ["d"])
            .Node("Unsqueeze", "unsqueeze", ["d", "axes"], ["d1"])
            .Node("Concat", "concat", ["d1", "rest"], ["target"])
            .Node("Reshape", "reshape", ["x", "target"], ["y"])
            .Output("y", "a", "b");
        b.Build().Graph.Node.Single(n => n.OpType == "Concat").Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        return b.Build();
    }

    private static float[] Run(byte[] model)
    {
        using var session = new InferenceSession(model);
        var x = Enumerable.Range(0, 2 * 6 * 4).Select(i => (float)i).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(x, [2, 6, 4]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x"], [value], ["y"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
