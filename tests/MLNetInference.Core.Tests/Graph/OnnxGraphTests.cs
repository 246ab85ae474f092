using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Models;

namespace MLNetInference.Core.Tests.Graph;

[TestClass]
public sealed class OnnxGraphTests
{
    [TestMethod]
    public void Constructor_SmallGraph_IndexesProducersAndConsumers()
    {
        var graph = new OnnxGraph(TestModelBuilder.Chain().Build());

        Assert.AreEqual("relu1", graph.GetProducer("a")!.Name);
        Assert.IsNull(graph.GetProducer("x"));
        Assert.IsNull(graph.GetProducer("bias"));
        CollectionAssert.AreEqual(new[] { "add" }, graph.GetConsumers("a").Select(n => n.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "add" }, graph.GetConsumers("bias").Select(n => n.Name).ToArray());
        Assert.AreEqual(0, graph.GetConsumers("y").Count);
        Assert.IsTrue(graph.IsUsed("y"), "a graph output counts as used");
        CollectionAssert.AreEqual(new[] { "x" }, graph.Inputs.ToArray());
        CollectionAssert.AreEqual(new[] { "y" }, graph.Outputs.ToArray());
    }

    [TestMethod]
    public void TryGetInitializer_FloatAndInt64_ReadsTypedValues()
    {
        var model = TestModelBuilder.Chain().Int64("shape", [2], 1, 4).Build();
        var graph = new OnnxGraph(model);

        Assert.IsTrue(graph.TryGetInitializer("bias", out var bias));
        Assert.AreEqual(TensorProto.Types.DataType.Float, bias.ElementType);
        Assert.AreEqual(4L, bias.ElementCount);
        Assert.IsTrue(bias.TryReadFloat(out var floats));
        CollectionAssert.AreEqual(new[] { 0.5f, -0.5f, 1f, -1f }, floats);
        Assert.IsTrue(graph.TryGetConstant("shape", out var shape));
        Assert.IsTrue(shape.TryReadInt64(out var longs));
        CollectionAssert.AreEqual(new[] { 1L, 4L }, longs);
        Assert.IsFalse(bias.TryReadInt64(out _));
        Assert.IsFalse(graph.TryGetInitializer("a", out _));
    }

    [TestMethod]
    public void GetOpsetVersion_DefaultDomainAliases_ResolveToSameVersion()
    {
        var model = TestModelBuilder.Chain().Build();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        var graph = new OnnxGraph(model);

        Assert.AreEqual(17L, graph.GetOpsetVersion(string.Empty));
        Assert.AreEqual(17L, graph.GetOpsetVersion("ai.onnx"));
        Assert.AreEqual(1L, graph.GetOpsetVersion("com.microsoft"));
        Assert.IsNull(graph.GetOpsetVersion("ai.onnx.ml"));
    }

    [TestMethod]
    public void TopologicalOrder_NodesListedBackwards_PutsProducersFirst()
    {
        var model = TestModelBuilder.Chain().Build();
        var reversed = model.Graph.Node.Reverse().ToArray();
        model.Graph.Node.Clear();
        model.Graph.Node.AddRange(reversed);
        var graph = new OnnxGraph(model);

        var order = graph.TopologicalOrder().Select(n => n.Name).ToArray();

        CollectionAssert.AreEqual(new[] { "relu1", "add", "relu2" }, order);
    }

    [TestMethod]
    public void TopologicalOrder_Cycle_ThrowsOnnxFormatExceptionNamingANodeOnIt()
    {
        var model = new TestModelBuilder("cyclic")
            .Input("x", 4)
            .Node("Relu", "entry", ["x"], ["e"])
            .Node("Add", "loop_add", ["e", "c"], ["b"])
            .Node("Relu", "loop_relu", ["b"], ["c"])
            .Node("Relu", "exit", ["c"], ["y"])
            .Output("y", 4)
            .Build();
        var graph = new OnnxGraph(model);

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => graph.TopologicalOrder());

        StringAssert.Contains(ex.Message, "cycle");
        Assert.IsTrue(ex.Message.Contains("'loop_add'", StringComparison.Ordinal) && ex.Message.Contains("'loop_relu'", StringComparison.Ordinal), ex.Message);
        Assert.IsFalse(ex.Message.Contains("'entry'", StringComparison.Ordinal), "a node before the cycle is not on it: " + ex.Message);
    }

    [TestMethod]
    public void ReplaceAllUses_ValueWithTwoReaders_RewiresBothAndUpdatesConsumers()
    {
        var model = new TestModelBuilder()
            .Input("x", 4)
            .Node("Relu", "r", ["x"], ["a"])
            .Node("Neg", "n", ["a"], ["b"])
            .Node("Add", "add", ["a", "b"], ["y"])
            .Output("y", 4)
            .Build();
        var graph = new OnnxGraph(model);

        var rewired = graph.ReplaceAllUses("a", "x");

        Assert.AreEqual(2, rewired);
        Assert.AreEqual(0, graph.GetConsumers("a").Count);
        Assert.AreEqual(3, graph.GetConsumers("x").Count, "the Relu, the Neg and the Add");
        CollectionAssert.AreEqual(new[] { "x", "b" }, graph.GetProducer("y")!.Input.ToArray());
    }

    [TestMethod]
    public void RemoveNodeAndCommit_DeadNode_GoneFromProtoAndMaps()
    {
        var model = TestModelBuilder.Chain().Build();
        var graph = new OnnxGraph(model);
        var relu2 = graph.GetProducer("y")!;

        Assert.IsTrue(graph.RemoveNode(relu2));
        Assert.IsFalse(graph.RemoveNode(relu2));
        graph.Commit();

        Assert.AreEqual(2, model.Graph.Node.Count);
        Assert.IsNull(graph.GetProducer("y"));
        Assert.AreEqual(0, graph.GetConsumers("b").Count);
        Assert.IsFalse(graph.Contains(relu2));
    }

    [TestMethod]
    public void ReplaceNode_SameOutput_KeepsPositionAndReindexes()
    {
        var model = TestModelBuilder.Chain().Build();
        var graph = new OnnxGraph(model);
        var relu1 = graph.GetProducer("a")!;
        var sigmoid = new NodeProto { OpType = "Sigmoid", Name = "sigmoid" };
        sigmoid.Input.Add("x");
        sigmoid.Output.Add("a");

        graph.ReplaceNode(relu1, sigmoid);

        Assert.AreSame(sigmoid, graph.Nodes[0]);
        Assert.AreSame(sigmoid, graph.GetProducer("a"));
        Assert.IsFalse(graph.Contains(relu1));
        CollectionAssert.AreEqual(new[] { "sigmoid" }, graph.GetConsumers("x").Select(n => n.Name).ToArray());
    }

    [TestMethod]
    public void ReplaceNode_OutputDefinedElsewhere_ThrowsAndLeavesTheGraphAsItWas()
    {
        var graph = new OnnxGraph(TestModelBuilder.Chain().Build());
        var relu1 = graph.GetProducer("a")!;
        var clash = new NodeProto { OpType = "Sigmoid", Name = "clash" };
        clash.Input.Add("x");
        clash.Output.Add("b");

        Assert.ThrowsExactly<InvalidOperationException>(() => graph.ReplaceNode(relu1, clash));

        Assert.AreSame(relu1, graph.Nodes[0]);
        Assert.AreSame(relu1, graph.GetProducer("a"));
        Assert.AreEqual("add", graph.GetProducer("b")!.Name);
    }

    [TestMethod]
    public void UpdateNode_NewInputAndOutput_ProducerAndConsumerMapsFollow()
    {
        var graph = new OnnxGraph(TestModelBuilder.Chain().Build());
        var relu2 = graph.GetProducer("y")!;
        graph.RemoveNode(graph.GetProducer("b")!);

        graph.UpdateNode(relu2, n =>
        {
            n.Input[0] = "a";
            n.Output[0] = "b";
        });

        Assert.AreSame(relu2, graph.GetProducer("b"));
        Assert.IsNull(graph.GetProducer("y"));
        CollectionAssert.AreEqual(new[] { "relu2" }, graph.GetConsumers("a").Select(n => n.Name).ToArray());
    }

    [TestMethod]
    public void RemoveUnusedInitializers_UsedAndUnused_RemovesOnlyTheUnused()
    {
        var model = TestModelBuilder.Chain().Float("dead", [1], 1f).Build();
        var graph = new OnnxGraph(model);

        Assert.AreEqual(1, graph.RemoveUnusedInitializers(["bias", "dead", "dead", "not-there"]));

        CollectionAssert.AreEqual(new[] { "bias" }, model.Graph.Initializer.Select(i => i.Name).ToArray());
    }

    [TestMethod]
    public void GetConstantInitializer_OverridableOrConstantNode_IsNull()
    {
        var model = TestModelBuilder.Chain().Build();
        model.Graph.Input.Add(TestModelBuilder.ValueInfo("bias", TensorProto.Types.DataType.Float, [4]));
        var graph = new OnnxGraph(model);

        Assert.IsNull(graph.GetConstantInitializer("bias"), "a graph input may override it");
        Assert.IsNull(graph.GetConstantInitializer("a"), "a node output");
        Assert.IsNull(graph.GetConstantInitializer(string.Empty));
    }

    [TestMethod]
    public void AddNode_OutputAlreadyDefined_ThrowsInvalidOperation()
    {
        var graph = new OnnxGraph(TestModelBuilder.Chain().Build());

        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => graph.AddNode("Relu", ["x"], ["a"]));

        StringAssert.Contains(ex.Message, "'a'");
    }

    [TestMethod]
    public void AddNodeAndInitializer_NewValues_IndexedAndCommittedInOrder()
    {
        var model = TestModelBuilder.Chain().Build();
        var graph = new OnnxGraph(model);
        var scale = graph.GenerateUniqueName("bias");
        graph.AddInitializer(TensorData.FromFloat(scale, [1], [2f]));
        var scaled = graph.GenerateUniqueName("scaled");
        var mul = graph.AddNode("Mul", ["y", scale], [scaled]);
        graph.Proto.Output[0].Name = scaled;

        graph.Commit();

        Assert.AreEqual("bias_1", scale);
        Assert.AreSame(mul, graph.GetProducer(scaled));
        Assert.AreEqual(4, model.Graph.Node.Count);
        Assert.AreSame(mul, model.Graph.Node[3]);
        Assert.IsTrue(model.Graph.Initializer.Any(i => i.Name == "bias_1"));
        Assert.AreNotEqual(mul.Name, graph.GenerateUniqueName(mul.Name), "a generated node name is reserved");
    }

    [TestMethod]
    public void GenerateUniqueName_NameTaken_AddsIncreasingSuffix()
    {
        var graph = new OnnxGraph(TestModelBuilder.Chain().Build());

        Assert.AreEqual("fresh", graph.GenerateUniqueName("fresh"));
        Assert.AreEqual("fresh_1", graph.GenerateUniqueName("fresh"));
        Assert.AreEqual("a_1", graph.GenerateUniqueName("a"));
        Assert.AreEqual("a_2", graph.GenerateUniqueName("a"));
    }

    [TestMethod]
    public void RenameValue_GraphOutput_RenamesProducerReadersAndOutput()
    {
        var model = TestModelBuilder.Chain().Build();
        var graph = new OnnxGraph(model);

        graph.RenameValue("y", "z");

        Assert.AreEqual("z", model.Graph.Output[0].Name);
        Assert.AreEqual("relu2", graph.GetProducer("z")!.Name);
        Assert.IsNull(graph.GetProducer("y"));
        Assert.ThrowsExactly<InvalidOperationException>(() => graph.RenameValue("a", "x"));
    }

    [TestMethod]
    public void Constructor_TwoNodesProduceSameValue_ThrowsOnnxFormatException()
    {
        var model = TestModelBuilder.Chain().Node("Neg", "dup", ["x"], ["a"]).Build();

        var ex = Assert.ThrowsExactly<OnnxFormatException>(() => new OnnxGraph(model));

        StringAssert.Contains(ex.Message, "'dup'");
    }
}
