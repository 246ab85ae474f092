using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Passes;

/// <summary>
/// Applies a set of <see cref="RewriteRule"/>s in one walk over the graph in topological order, dispatching each node
/// to the rules that target its op type.
/// </summary>
/// <remarks>
/// A rule takes part only when the model's opsets cover the ops it matches (<see cref="RewriteRule.AppliesTo"/>). At each
/// node the rules that target it run in the order given; the first whose match accepts the node rewrites it with that
/// match, and the walk moves on. Nodes a rewrite adds are not visited in the same walk; a
/// <see cref="PassManager"/> runs the pass again until nothing changes.
/// </remarks>
public sealed class RuleBasedPass : ModelPass
{
    private readonly RewriteRule[] _rules;
    private readonly Dictionary<string, int> _applications = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="RuleBasedPass"/> class.</summary>
    /// <param name="name">The pass's name.</param>
    /// <param name="rules">The rules, tried in this order at each node.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or <paramref name="rules"/> is empty or holds <see langword="null"/>.</exception>
    public RuleBasedPass(string name, IEnumerable<RewriteRule> rules)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(rules);
        _rules = [.. rules];
        if (_rules.Length == 0 || Array.Exists(_rules, r => r is null))
        {
            throw new ArgumentException("A rule-based pass needs at least one rule, and no null rules.", nameof(rules));
        }

        Name = name;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>Gets the rules, in the order they are tried.</summary>
    public IReadOnlyList<RewriteRule> Rules => _rules;

    /// <summary>Gets how many times each rule (by name) has rewritten a node, over every run of this pass.</summary>
    public IReadOnlyDictionary<string, int> RuleApplications => _applications;

    /// <summary>Lists the rules that cannot apply to a model at the opsets it imports, each with the reason.</summary>
    /// <param name="graph">The model's graph.</param>
    /// <returns>The rules left out, in order; empty when every rule may apply.</returns>
    internal IEnumerable<RuleSkip> FindSkippedRules(OnnxGraph graph) => FindSkippedRules(Name, _rules, graph);

    /// <summary>Lists the rules of a pass that cannot apply to a model at the opsets it imports, each with the reason.</summary>
    /// <param name="passName">The pass's name.</param>
    /// <param name="rules">The pass's rules.</param>
    /// <param name="graph">The model's graph.</param>
    /// <returns>The rules left out, in order; empty when every rule may apply.</returns>
    internal static IEnumerable<RuleSkip> FindSkippedRules(string passName, IEnumerable<RewriteRule> rules, OnnxGraph graph)
    {
        foreach (var rule in rules)
        {
            if (rule.GetNotApplicableReason(graph) is { } reason)
            {
                yield return new RuleSkip(passName, rule.Name, reason);
            }
        }
    }

    /// <summary>Applies rules to a graph in one walk. The caller commits the graph.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="rules">The rules.</param>
    /// <param name="applications">Counts per rule name, incremented for each rewrite.</param>
    /// <returns><see langword="true"/> when any rule changed the graph.</returns>
    internal static bool Apply(OnnxGraph graph, IReadOnlyList<RewriteRule> rules, Dictionary<string, int>? applications = null)
    {
        var byOpType = new Dictionary<string, List<RewriteRule>>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (!rule.AppliesTo(graph))
            {
                continue;
            }

            foreach (var target in rule.Targets)
            {
                var key = Key(target.Domain, target.OpType);
                if (!byOpType.TryGetValue(key, out var list))
                {
                    list = [];
                    byOpType[key] = list;
                }

                if (!list.Contains(rule))
                {
                    list.Add(rule);
                }
            }
        }

        var changed = false;
        if (byOpType.Count == 0)
        {
            return false;
        }

        foreach (var node in graph.TopologicalOrder())
        {
            if (!byOpType.TryGetValue(Key(node.Domain, node.OpType), out var candidates))
            {
                continue;
            }

            foreach (var rule in candidates)
            {
                if (!graph.Contains(node))
                {
                    break;
                }

                if (rule.IsTarget(graph, node) && rule.TryApply(graph, node))
                {
                    changed = true;
                    if (applications is not null)
                    {
                        applications[rule.Name] = applications.GetValueOrDefault(rule.Name) + 1;
                    }

                    break;
                }
            }
        }

        return changed;
    }

    /// <inheritdoc />
    protected override bool RunCore(ModelProto model)
    {
        var graph = new OnnxGraph(model);
        var changed = Apply(graph, _rules, _applications);
        if (changed)
        {
            graph.Commit();
        }

        return changed;
    }

    private static string Key(string domain, string opType) => OpsetInfo.NormalizeDomain(domain) + ":" + opType;
}
