using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Models;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Passes;

[TestClass]
public sealed class DeadCodeEliminationTests
{
    [TestMethod]
    public void Run_DeadBranchAndUnusedInitializer_RemovesThemAndKeepsValues()
    {
        var builder = TestModelBuilder.Chain()
            .Float("unused", [2], 1f, 2f)
            .Float("dead_scale", [1], 3f)
            .Node("Mul", "dead_mul", ["a", "dead_scale"], ["dead1"])
            .Node("Relu", "dead_relu", ["dead1"], ["dead2"]);
        var original = builder.Bytes();
        var model = builder.Build();

        Assert.IsTrue(new DeadCodeElimination().Run(model));

        CollectionAssert.AreEqual(new[] { "relu1", "add", "relu2" }, model.Graph.Node.Select(n => n.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "bias" }, model.Graph.Initializer.Select(i => i.Name).ToArray());
        Assert.AreEqual(0d, ModelVerifier.Compare(original, OnnxModelIO.ToBytes(model)).MaxAbsDiff);
        Assert.IsFalse(new DeadCodeElimination().Run(model), "a second run finds nothing");
    }

    [TestMethod]
    public void Run_InitializerListedAsGraphInput_KeepsIt()
    {
        var model = TestModelBuilder.Chain().Float("overridable", [1], 1f).Build();
        model.Graph.Input.Add(TestModelBuilder.ValueInfo("overridable", MLNetInference.Core.Onnx.Proto.TensorProto.Types.DataType.Float, [1L]));

        Assert.IsFalse(new DeadCodeElimination().Run(model));

        Assert.IsTrue(model.Graph.Initializer.Any(i => i.Name == "overridable"));
    }
}
