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

        CollectionAssert.AreEqual(new[] { "relu1", "relu2" }, rule.Offered.ToArray());
        CollectionAssert.AreEqual(new[] { "Sigmoid", "Add", "Sigmoid" }, model.Graph.Node.Select(n => n.OpType).ToArray());
        Assert.AreEqual(2, pass.RuleApplications["relu-to-sigmoid"]);
        Assert.IsFalse(pass.Run(model), "nothing left to match");
    }

    [TestMethod]
    public void Run_RuleMatches_RewriteReceivesTheMatchObjectAndNothingIsMatchedTwice()
    {
        var model = TestModelBuilder.Chain().Build();
        var rule = new ReluToSigmoidRule();

        new RuleBasedPass("relu-to-sigmoid", [rule]).Run(model);

        Assert.HasCount(2, rule.Returned);
        CollectionAssert.AreEqual(rule.Returned, rule.Rewritten, "each rewrite gets the object its match returned, once");
        Assert.IsTrue(rule.Returned.Zip(rule.Rewritten).All(p => ReferenceEquals(p.First, p.Second)));
    }

    [TestMethod]
    public void Run_NoMatch_RewriteIsNotCalled()
    {
        var model = TestModelBuilder.Chain().Build();
        var rule = new ReluToSigmoidRule { Accept = false };

        Assert.IsFalse(new RuleBasedPass("relu-to-sigmoid", [rule]).Run(model));

        Assert.HasCount(2, rule.Offered);
        Assert.IsEmpty(rule.Rewritten);
    }

    [TestMethod]
    [DataRow(13L, false)]
    [DataRow(14L, true)]
    [DataRow(17L, true)]
    [DataRow(18L, false)]
    public void Run_TargetOpsetRange_NodesAreOfferedOnlyWhenTheModelOpsetIsCovered(long opset, bool offered)
    {
        var model = TestModelBuilder.Chain().Build();
        model.OpsetImport.Single().Version = opset;
        var rule = new ReluToSigmoidRule { Target = OpSpec.Onnx("Relu", 14, 17) };

        var changed = new RuleBasedPass("relu-to-sigmoid", [rule]).Run(model);

        Assert.AreEqual(offered, changed);
        Assert.AreEqual(offered ? 2 : 0, rule.Offered.Count);
    }

    [TestMethod]
    public void Run_MatchedOpOutsideModelOpset_RuleDoesNotApply()
    {
        var model = TestModelBuilder.Chain().Build();
        var rule = new ReluToSigmoidRule { Pattern = [OpSpec.Onnx("Add", 18)] };

        Assert.IsFalse(new RuleBasedPass("relu-to-sigmoid", [rule]).Run(model));
        Assert.IsEmpty(rule.Offered);
    }

    [TestMethod]
    public void Run_RuleEmitsContribOp_ImportsItsDomain()
    {
        var model = TestModelBuilder.Chain().Build();
        var rule = new ReluToSigmoidRule { Emitted = [OpSpec.Microsoft("FastGelu")] };

        new RuleBasedPass("relu-to-sigmoid", [rule]).Run(model);

        Assert.AreEqual(1L, OpsetInfo.GetImportedVersion(model, OpsetInfo.MicrosoftDomain));
        Assert.AreEqual(17L, OpsetInfo.GetDefaultOpset(model), "an emitted op never lowers an opset");
    }

    [TestMethod]
    public void Run_ContribTarget_NodesOfTheDefaultDomainAreNotOffered()
    {
        var model = TestModelBuilder.Chain().Build();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = OpsetInfo.MicrosoftDomain, Version = 1 });
        var rule = new ReluToSigmoidRule { Target = OpSpec.Microsoft("Relu") };

        Assert.IsFalse(new RuleBasedPass("relu-to-sigmoid", [rule]).Run(model));
        Assert.IsEmpty(rule.Offered);
    }

    [TestMethod]
    public void Constructor_NoRules_Throws()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new RuleBasedPass("empty", []));
    }

    private sealed class ReluToSigmoidRule : RewriteRule<ReluToSigmoidRule.Found>
    {
        public List<string> Offered { get; } = [];

        public List<Found> Returned { get; } = [];

        public List<Found> Rewritten { get; } = [];

        public bool Accept { get; init; } = true;

        public OpSpec Target { get; init; } = OpSpec.Onnx("Relu");

        public IReadOnlyList<OpSpec> Pattern { get; init; } = [];

        public IReadOnlyList<OpSpec> Emitted { get; init; } = [OpSpec.Onnx("Sigmoid", 6)];

        public override string Name => "relu-to-sigmoid";

        public override IReadOnlyList<OpSpec> Targets => [Target];

        public override IReadOnlyList<OpSpec> Matches => Pattern;

        public override IReadOnlyList<OpSpec> Emits => Emitted;

        public override Found? TryMatch(OnnxGraph graph, NodeProto node)
        {
            Offered.Add(node.Name);
            if (!Accept)
            {
                return null;
            }

            var found = new Found(node);
            Returned.Add(found);
            return found;
        }

        public override void Rewrite(OnnxGraph graph, Found match)
        {
            Rewritten.Add(match);
            graph.UpdateNode(match.Node, n => n.OpType = "Sigmoid");
        }

        public sealed record Found(NodeProto Node);
    }
}
