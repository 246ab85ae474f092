using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Models;
using MLNetInference.Optimizers.Verification;

namespace MLNetInference.Optimizers.Tests.Passes;

[TestClass]
public sealed class RemoveIdentityAndDropoutTests
{
    [TestMethod]
    public void Run_IdentityAndDropoutChainEndingInOutput_RemovesThemKeepsOutputNameAndValues()
    {
        var builder = new TestModelBuilder("forwarders")
            .Input("x", "batch", 4)
            .Node("Relu", "relu", ["x"], ["a"])
            .Node("Identity", "id1", ["a"], ["b"])
            .Node("Dropout", "drop", ["b"], ["c"])
            .Node("Neg", "neg", ["c"], ["d"])
            .Node("Identity", "id_out", ["d"], ["y"])
            .Output("y", "batch", 4);
        var original = builder.Bytes();
        var model = builder.Build();

        Assert.IsTrue(new RemoveIdentityAndDropout().Run(model));

        CollectionAssert.AreEqual(new[] { "Relu", "Neg" }, model.Graph.Node.Select(n => n.OpType).ToArray());
        Assert.AreEqual("y", model.Graph.Output[0].Name);
        Assert.AreEqual("y", model.Graph.Node[1].Output[0]);
        var report = ModelVerifier.Compare(original, OnnxModelIO.ToBytes(model));
        Assert.AreEqual(0d, report.MaxAbsDiff);
        Assert.IsTrue(report.AllCompared);
    }

    [TestMethod]
    public void Run_IdentityFromGraphInputToOutput_KeepsIt()
    {
        var model = new TestModelBuilder()
            .Input("x", 4)
            .Node("Identity", "passthrough", ["x"], ["y"])
            .Output("y", 4)
            .Build();

        Assert.IsFalse(new RemoveIdentityAndDropout().Run(model));

        Assert.AreEqual(1, model.Graph.Node.Count);
    }

    [TestMethod]
    public void Run_IdentityBetweenTwoGraphOutputs_KeepsBothOutputs()
    {
        var model = new TestModelBuilder()
            .Input("x", 4)
            .Node("Relu", "relu", ["x"], ["a"])
            .Node("Identity", "copy", ["a"], ["y"])
            .Output("a", 4)
            .Output("y", 4)
            .Build();

        Assert.IsFalse(new RemoveIdentityAndDropout().Run(model));

        CollectionAssert.AreEqual(new[] { "a", "y" }, model.Graph.Output.Select(o => o.Name).ToArray());
        Assert.AreEqual(2, model.Graph.Node.Count);
    }

    [TestMethod]
    public void Run_DropoutWhoseMaskIsRead_KeepsIt()
    {
        var model = new TestModelBuilder()
            .Input("x", 4)
            .Node("Dropout", "drop", ["x"], ["a", "mask"])
            .Node("Cast", "cast", ["mask"], ["m"])
            .Node("Add", "add", ["a", "m"], ["y"])
            .Output("y", 4)
            .Build();

        Assert.IsFalse(new RemoveIdentityAndDropout().Run(model));

        Assert.IsTrue(model.Graph.Node.Any(n => n.OpType == "Dropout"));
    }

    [TestMethod]
    public void Run_DropoutWithTrainingModeInput_KeepsIt()
    {
        var model = new TestModelBuilder()
            .Input("x", 4)
            .Node("Dropout", "drop", ["x", "", "training"], ["a"])
            .Node("Neg", "neg", ["a"], ["y"])
            .Output("y", 4)
            .Build();
        model.Graph.Input.Add(TestModelBuilder.ValueInfo("training", TensorProto.Types.DataType.Bool, []));

        Assert.IsFalse(new RemoveIdentityAndDropout().Run(model));
    }
}
