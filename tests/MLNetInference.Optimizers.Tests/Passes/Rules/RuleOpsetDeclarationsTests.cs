using MLNetInference.Core.Graph;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Models;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Passes.Fusion;

namespace MLNetInference.Optimizers.Tests.Passes.Rules;

/// <summary>
/// Every rewrite rule of the optimizer, found by reflection, declares the op versions it targets, matches and emits; the
/// default-domain ones agree with ONNX's operator history (<see cref="OnnxOpVersions"/>); and a rule run on a zoo model
/// whose opset falls outside its declared range leaves the model unchanged and says why.
/// </summary>
[TestClass]
public sealed class RuleOpsetDeclarationsTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>Gets one instance of every concrete rule in the optimizer's assembly.</summary>
    public static IReadOnlyList<RewriteRule> AllRules() =>
    [
        .. typeof(RewriteRule).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && t.IsSubclassOf(typeof(RewriteRule)))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (RewriteRule)Activator.CreateInstance(t)!),
    ];

    [TestMethod]
    public void AllRules_Reflection_FindsEveryRuleTheFusionPassesUse()
    {
        var found = AllRules().Select(r => r.GetType()).ToHashSet();
        var used = FusionPasses.Create().OfType<RuleBasedPass>().SelectMany(p => p.Rules).Select(r => r.GetType()).ToList();

        Assert.IsNotEmpty(used);
        foreach (var type in used)
        {
            Assert.Contains(type, found);
        }

        Assert.IsGreaterThanOrEqualTo(11, found.Count);
    }

    [TestMethod]
    public void EveryRule_DeclaresTheVersionsItTargetsMatchesAndEmits()
    {
        foreach (var rule in AllRules())
        {
            Assert.IsNotEmpty(rule.Targets, $"{rule.Name} targets nothing");
            Assert.IsNotNull(rule.Matches, rule.Name);
            Assert.IsNotNull(rule.Emits, rule.Name);
            foreach (var spec in rule.Targets.Concat(rule.Matches).Concat(rule.Emits))
            {
                Assert.IsFalse(string.IsNullOrEmpty(spec.OpType), rule.Name);
                Assert.IsGreaterThanOrEqualTo(1L, spec.SinceOpset, $"{rule.Name}: {spec}");
                var domain = OpsetInfo.NormalizeDomain(spec.Domain);
                Assert.IsTrue(domain is OpsetInfo.OnnxDomain or OpsetInfo.MicrosoftDomain, $"{rule.Name}: {spec} is in an unexpected domain");
                if (domain == OpsetInfo.MicrosoftDomain)
                {
                    Assert.AreEqual(1L, spec.SinceOpset, $"{rule.Name}: ONNX Runtime's contrib ops are all version 1 of com.microsoft ({spec})");
                }
            }

            TestContext.WriteLine($"{rule.Name}: targets {string.Join(", ", rule.Targets)}; matches {string.Join(", ", rule.Matches)}; emits {string.Join(", ", rule.Emits)}");
        }
    }

    [TestMethod]
    public void EveryRule_DefaultDomainRanges_AgreeWithOnnxOperatorHistory()
    {
        var problems = new List<string>();
        foreach (var rule in AllRules())
        {
            foreach (var (role, specs) in new[] { ("targets", rule.Targets), ("matches", rule.Matches), ("emits", rule.Emits) })
            {
                foreach (var group in specs.Where(s => OpsetInfo.NormalizeDomain(s.Domain) == OpsetInfo.OnnxDomain).GroupBy(s => s.OpType))
                {
                    foreach (var spec in group)
                    {
                        if (OnnxOpVersions.Check(spec) is { } problem)
                        {
                            problems.Add($"{rule.Name} {role} {problem}");
                        }
                    }

                    for (var version = 1L; version <= OnnxOpVersions.LatestOpset; version++)
                    {
                        if (group.Count(s => s.Covers(version)) > 1)
                        {
                            problems.Add($"{rule.Name} {role} {group.Key} twice at opset {version}");
                        }
                    }
                }
            }
        }

        Assert.IsEmpty(problems, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    [DataRow("Where", 8L, null, DisplayName = "Where before it exists")]
    [DataRow("Erf", 1L, null, DisplayName = "Erf before it exists")]
    [DataRow("Unsqueeze", 1L, null, DisplayName = "Unsqueeze across the axes move at 13")]
    [DataRow("Unsqueeze", 1L, 13L, DisplayName = "Unsqueeze attribute form reaching into 13")]
    [DataRow("ReduceMean", 13L, null, DisplayName = "ReduceMean across the axes move at 18")]
    [DataRow("Softmax", 1L, null, DisplayName = "Softmax across the axis change at 13")]
    [DataRow("LayerNormalization", 16L, null, DisplayName = "LayerNormalization from 16")]
    [DataRow("Gelu", 17L, null, DisplayName = "Gelu before 20")]
    [DataRow("BatchNormalization", 1L, null, DisplayName = "BatchNormalization with is_test defaulting to training")]
    [DataRow("Dropout", 1L, null, DisplayName = "Dropout with is_test defaulting to training")]
    [DataRow("Slice", 1L, null, DisplayName = "Slice across the inputs move at 10")]
    [DataRow("Clip", 6L, null, DisplayName = "Clip across the min/max move at 11")]
    [DataRow("Split", 2L, 17L, DisplayName = "Split across the split move at 13")]
    [DataRow("Pad", 11L, null, DisplayName = "Pad across the axes input at 18")]
    [DataRow("Add", 1L, null, DisplayName = "Add across broadcasting at 7")]
    [DataRow("NoSuchOp", 1L, null, DisplayName = "an op the table does not know")]
    public void OnnxOpVersions_WrongDeclaration_IsCaught(string opType, long since, long? until)
    {
        Assert.IsNotNull(OnnxOpVersions.Check(OpSpec.Onnx(opType, since, until)));
    }

    [TestMethod]
    [DataRow("Where", 9L, null)]
    [DataRow("Unsqueeze", 1L, 12L)]
    [DataRow("Unsqueeze", 13L, null)]
    [DataRow("ReduceMean", 1L, 17L)]
    [DataRow("LayerNormalization", 17L, null)]
    [DataRow("Gelu", 20L, null)]
    [DataRow("Clip", 11L, null)]
    [DataRow("Split", 13L, 17L)]
    [DataRow("Pad", 11L, 17L)]
    public void OnnxOpVersions_RightDeclaration_Passes(string opType, long since, long? until)
    {
        Assert.IsNull(OnnxOpVersions.Check(OpSpec.Onnx(opType, since, until)));
    }

    [TestMethod]
    public void EveryRule_OnAZooModelAtAnOpsetOutsideItsRange_LeavesItUnchangedWithAReason()
    {
        var candidates = Candidates();
        var problems = new List<string>();
        foreach (var rule in AllRules())
        {
            var outside = OpsetsOutside(rule);
            if (outside.Count == 0)
            {
                // Its targets exist at every opset and it matches and emits nothing narrower: there is no outside.
                TestContext.WriteLine($"{rule.Name}: applies at every opset 1..{OnnxOpVersions.LatestOpset}");
                Assert.IsEmpty(rule.Matches.Concat(rule.Emits).Where(s => OpsetInfo.NormalizeDomain(s.Domain) == OpsetInfo.OnnxDomain && s.SinceOpset > 1), rule.Name);
                continue;
            }

            var fired = 0;
            foreach (var (name, model) in candidates)
            {
                if (!Changes(rule, model.Clone(), out _))
                {
                    continue;
                }

                fired++;
                foreach (var opset in outside)
                {
                    var lowered = model.Clone();
                    SetDefaultOpset(lowered, opset);
                    var before = OnnxModelIO.ToBytes(lowered);
                    var changed = Changes(rule, lowered, out var report);
                    var skip = report.SkippedRules.SingleOrDefault(s => s.RuleName == rule.Name);
                    if (changed || !before.AsSpan().SequenceEqual(OnnxModelIO.ToBytes(lowered)))
                    {
                        problems.Add($"{rule.Name} changed {name} at opset {opset}, outside its range");
                    }
                    else if (skip is null || string.IsNullOrWhiteSpace(skip.Reason) || !skip.Reason.Contains($"opset {opset}", StringComparison.Ordinal))
                    {
                        problems.Add($"{rule.Name} left {name} at opset {opset} without a reason naming the opset: {skip?.Reason ?? "(none)"}");
                    }
                }

                TestContext.WriteLine($"{rule.Name}: changes {name}; at opsets {string.Join(", ", outside)} unchanged: {RuleSkipReason(rule, model, outside[^1])}");
            }

            if (fired == 0)
            {
                problems.Add($"{rule.Name}: no zoo model to show the range on (the rule changes none of them at their own opset)");
            }
        }

        Assert.IsEmpty(problems, string.Join(Environment.NewLine, problems));
    }

    [TestMethod]
    public void BatchNormIntoConv_CnnAtOpset6WhereIsTestDefaultsToTraining_LeavesItWithAReason()
    {
        // Before opset 7 BatchNormalization has is_test, defaulting to 0: a node without it runs in training mode and
        // must not be folded. The zoo CNN at opset 8 folds; the same graph read at opset 6 does not.
        var model = OnnxModelIO.Parse(ZooModels.Get("cnn-opset8").Model);
        Assert.IsTrue(Changes(new BatchNormIntoConvFusion(), model.Clone(), out _));
        SetDefaultOpset(model, 6);

        var changed = Changes(new BatchNormIntoConvFusion(), model, out var report);

        Assert.IsFalse(changed);
        Assert.AreEqual(3, model.Graph.Node.Count(n => n.OpType == "BatchNormalization"));
        StringAssert.Contains(report.SkippedRules.Single().Reason, "BatchNormalization[7..8]");
    }

    [TestMethod]
    public void DropoutElimination_CnnAtOpset6WhereIsTestDefaultsToTraining_KeepsTheDropout()
    {
        var model = OnnxModelIO.Parse(ZooModels.Get("cnn-opset8").Model);
        Assert.IsTrue(Changes(new Optimizers.Passes.Rules.DropoutEliminationRule(), model.Clone(), out _));
        SetDefaultOpset(model, 6);

        var changed = Changes(new Optimizers.Passes.Rules.DropoutEliminationRule(), model, out var report);

        Assert.IsFalse(changed);
        Assert.AreEqual(1, model.Graph.Node.Count(n => n.OpType == "Dropout"));
        StringAssert.Contains(report.SkippedRules.Single().Reason, "Dropout[7..11]");
    }

    [TestMethod]
    public void AttentionFusion_HeadReshapeWithAllowZero_IsNotMatched()
    {
        // Reshape's allowzero (opset 14) makes a 0 in the target a real zero instead of "keep this dim".
        var model = OnnxModelIO.Parse(ZooModels.Get("bert-opset14-pt2-tanh").Model);
        Assert.IsTrue(Changes(new AttentionFusion(), model.Clone(), out _));
        foreach (var reshape in model.Graph.Node.Where(n => n.OpType == "Reshape"))
        {
            reshape.Attribute.Add(new AttributeProto { Name = "allowzero", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        }

        Assert.IsFalse(Changes(new AttentionFusion(), model, out _));
    }

    /// <summary>The zoo models (weights inside), each also after the first fusion stage (for the rules that read its output), and the small MLP fixture.</summary>
    private static List<(string Name, ModelProto Model)> Candidates()
    {
        var list = new List<(string, ModelProto)>();
        foreach (var zoo in ZooModels.All.Where(z => !z.HasExternalData))
        {
            var model = OnnxModelIO.Parse(zoo.Model);
            list.Add((zoo.Name, model));
            var fused = model.Clone();
            if (new PassManager([FusionPasses.Create(includeGemm: false)[0]]).Run(fused))
            {
                list.Add((zoo.Name + " (after the first fusion stage)", fused));
            }
        }

        list.Add((FixtureModels.SmallMlpName, OnnxModelIO.Parse(FixtureModels.SmallMlp())));
        return list;
    }

    /// <summary>The default-domain opsets (1 to the newest known) at which the rule does not apply, highest first below its range.</summary>
    private static List<long> OpsetsOutside(RewriteRule rule)
    {
        var outside = new List<long>();
        for (var opset = 1L; opset <= OnnxOpVersions.LatestOpset; opset++)
        {
            var model = new ModelProto { Graph = new GraphProto() };
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = OpsetInfo.MicrosoftDomain, Version = 1 });
            if (!rule.AppliesTo(new OnnxGraph(model)))
            {
                outside.Add(opset);
            }
        }

        return outside;
    }

    private static string? RuleSkipReason(RewriteRule rule, ModelProto model, long opset)
    {
        var lowered = model.Clone();
        SetDefaultOpset(lowered, opset);
        return rule.GetNotApplicableReason(new OnnxGraph(lowered));
    }

    private static bool Changes(RewriteRule rule, ModelProto model, out PassManagerReport report)
    {
        var manager = new PassManager([new RuleBasedPass("only-" + rule.Name, [rule])]) { ValidateAfterEachChange = false };
        var changed = manager.Run(model);
        report = manager.LastReport!;
        return changed;
    }

    private static void SetDefaultOpset(ModelProto model, long opset)
    {
        foreach (var import in model.OpsetImport.Where(o => OpsetInfo.NormalizeDomain(o.Domain) == OpsetInfo.OnnxDomain))
        {
            import.Version = opset;
        }
    }
}
