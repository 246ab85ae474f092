using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Models;

namespace MLNetInference.Optimizers.Tests.Passes;

[TestClass]
public sealed class RuleBasedPassTests
{
    [TestMethod]
    public void Run_RuleTargetsRelu_OnlyReluNodesAreOfferedAndRewritten()
    {
        var model = TestModelBuilder.Chain().Build();
        var rule = new ReluToSigmoidRule();
        var pass = new RuleBasedPass("relu-to-sigmoid", [rule]);

        Assert.IsTrue(pass.Run(model));

        CollectionAssert.AreEqual(new[] { "Relu", "Relu" }, rule.Seen.ToArray());
        CollectionAssert.AreEqual(new[] { "Sigmoid", "Add", "Sigmoid" }, model.Graph.Node.Select(n => n.OpType).ToArray());
        Assert.AreEqual(2, pass.RuleApplications["relu-to-sigmoid"]);
        Assert.IsFalse(pass.Run(model), "nothing left to match");
    }

    [TestMethod]
    public void Constructor_NoRules_Throws()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new RuleBasedPass("empty", []));
    }

    private sealed class ReluToSigmoidRule : RewriteRule
    {
        public List<string> Seen { get; } = [];

        public override string Name => "relu-to-sigmoid";

        public override IReadOnlyList<string> TargetOpTypes { get; } = ["Relu"];

        public override bool Match(OnnxGraph graph, NodeProto node)
        {
            Seen.Add(node.OpType);
            return true;
        }

        public override bool Rewrite(OnnxGraph graph, NodeProto node)
        {
            node.OpType = "Sigmoid";
            return true;
        }
    }
}
