using MLNetInference.Models;
using MLNetInference.Core.Graph;
using MLNetInference.Core.Onnx;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Passes.Fusion;
using MLNetInference.Optimizers.Passes.Rules;

namespace MLNetInference.Optimizers.Tests.Passes.Fusion;

[TestClass]
public sealed class FusionRuleDeclarationsTests
{
    private static IReadOnlyList<RewriteRule> AllRules() =>
    [
        .. FusionPasses.PrimaryRules(),
        .. FusionPasses.SecondaryRules(),
        new MatMulAddToGemmFusion(),
        new IdentityEliminationRule(),
        new DropoutEliminationRule(),
        new ConstantShapeFoldingRule(),
    ];

    [TestMethod]
    public void Rules_EveryBuiltInRule_NamesItsTargetsAndOpsets()
    {
        foreach (var rule in AllRules())
        {
            Assert.IsNotEmpty(rule.Targets, rule.Name);
            foreach (var spec in rule.Targets.Concat(rule.Matches).Concat(rule.Emits))
            {
                Assert.IsFalse(string.IsNullOrEmpty(spec.OpType), rule.Name);
                Assert.IsGreaterThanOrEqualTo(1L, spec.SinceOpset, $"{rule.Name}: {spec}");
            }
        }
    }

    [TestMethod]
    public void FusionPasses_MiniLm_EveryNodeTheRulesAddIsAnOpTheyDeclareToEmit()
    {
        var model = OnnxModelIO.Parse(File.ReadAllBytes(ModelPaths.MiniLmModel));
        var before = model.Graph.Node.Select(n => (OpsetInfo.NormalizeDomain(n.Domain), n.OpType)).ToHashSet();

        new PassManager(FusionPasses.Create()).Run(model);

        var emitted = AllRules().SelectMany(r => r.Emits).Select(s => (OpsetInfo.NormalizeDomain(s.Domain), s.OpType)).ToHashSet();
        var added = model.Graph.Node.Select(n => (OpsetInfo.NormalizeDomain(n.Domain), n.OpType)).Where(k => !before.Contains(k)).Distinct().ToList();
        Assert.IsNotEmpty(added);
        foreach (var op in added)
        {
            Assert.Contains(op, emitted, $"{op.Item1}:{op.Item2} was added but no rule declares it in Emits");
        }

        var graph = new OnnxGraph(model);
        foreach (var specs in AllRules().SelectMany(r => r.Emits).Where(s => added.Contains((OpsetInfo.NormalizeDomain(s.Domain), s.OpType))).GroupBy(s => (OpsetInfo.NormalizeDomain(s.Domain), s.OpType)))
        {
            Assert.IsTrue(specs.Any(s => OpsetInfo.IsSupported(graph, s)), $"the fused model imports what one of {string.Join(", ", specs)} needs");
        }
    }

    [TestMethod]
    public void TryMatch_MiniLmGelu_DoesNotChangeTheGraphAndItsMatchRewritesOnce()
    {
        var model = OnnxModelIO.Parse(File.ReadAllBytes(ModelPaths.MiniLmModel));
        var graph = new OnnxGraph(model);
        var rule = new GeluFusion();
        var erf = graph.Nodes.First(n => n.OpType == "Erf");
        var nodes = graph.Nodes.Count;

        var match = rule.TryMatch(graph, erf);

        Assert.IsNotNull(match);
        Assert.AreEqual(nodes, graph.Nodes.Count, "matching leaves the graph alone");
        Assert.Contains(erf, match.Nodes.ToList());
        rule.Rewrite(graph, match);
        Assert.IsFalse(graph.Contains(erf));
        Assert.IsLessThanOrEqualTo(nodes - match.Nodes.Count + 1, graph.Nodes.Count, "the pattern (and constants only it read) gave way to one node");
        Assert.IsTrue(match.Nodes.All(n => !graph.Contains(n)));
        Assert.IsTrue(graph.Nodes.Any(n => OpsetInfo.IsOp(n, "Gelu", OpsetInfo.MicrosoftDomain)));
    }
}
