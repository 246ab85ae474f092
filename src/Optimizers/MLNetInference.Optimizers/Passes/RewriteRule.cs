using MLNetInference.Core.Onnx.Proto;

using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Passes;

/// <summary>
/// A local rewrite: it names the ops it targets, matches and emits (op type, domain and opset versions, as
/// <see cref="OpSpec"/>s), checks a node cheaply and only then rewrites it. A <see cref="RuleBasedPass"/> dispatches its
/// rules by op type in one walk over the graph.
/// </summary>
/// <remarks>
/// <para>
/// Write a rule by deriving from <see cref="RewriteRule{TMatch}"/>: its match returns a match object that its rewrite
/// receives, so that no rule matches twice. Before a rule's match runs, the pass checks with
/// <see cref="OpsetInfo"/> that the node is one of the <see cref="Targets"/> at a version they cover, and that the model's
/// opsets cover every op in <see cref="Matches"/> and every default-domain op in <see cref="Emits"/>; after a rewrite it
/// imports the other domains <see cref="Emits"/> needs (such as <c>com.microsoft</c>).
/// </para>
/// <para>
/// A rule never raises the model's default-domain opset: doing so would change the signature of ops it did not convert
/// (<c>Unsqueeze</c>'s axes move from an attribute to an input at 13, for one). A rule whose emitted ONNX op needs a
/// later opset than the model imports does not apply; it emits an ONNX Runtime contrib op instead where one exists.
/// </para>
/// </remarks>
public abstract class RewriteRule
{
    /// <summary>Initializes a new instance of the <see cref="RewriteRule"/> class; only <see cref="RewriteRule{TMatch}"/> derives from it.</summary>
    private protected RewriteRule()
    {
    }

    /// <summary>Gets the rule's name, used in reports.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Gets the ops whose nodes the rule looks at: the pass offers it a node only when
    /// <see cref="OpsetInfo.IsSupported(OnnxGraph, NodeProto, OpSpec)"/> holds for one of them.
    /// </summary>
    /// <remarks>
    /// Every spec of <see cref="Targets"/>, <see cref="Matches"/> and <see cref="Emits"/> covers one signature of its op:
    /// its range starts at an opset where the op was (re)defined and does not reach past a later version that changed
    /// the op's inputs or attributes (<c>Unsqueeze</c>'s axes at 13, <c>ReduceMean</c>'s at 18, <c>Softmax</c>'s axis
    /// at 13). A rule written against several signatures of one op lists one spec for each.
    /// </remarks>
    public abstract IReadOnlyList<OpSpec> Targets { get; }

    /// <summary>
    /// Gets the other ops the rule's pattern reads around its target node (not the <see cref="Targets"/>); the rule
    /// applies only to a model whose opsets cover each of these op types (one of its specs, when it lists several).
    /// </summary>
    public abstract IReadOnlyList<OpSpec> Matches { get; }

    /// <summary>
    /// Gets the ops the rule's rewrite may add. A default-domain op here must be available at the model's opset (one of
    /// its specs) for the rule to apply; other domains are imported after a rewrite (or raised) as each op needs.
    /// </summary>
    public abstract IReadOnlyList<OpSpec> Emits { get; }

    /// <summary>
    /// Tells whether the model's opsets cover one of the <see cref="Targets"/>, every op in <see cref="Matches"/>, and
    /// every default-domain op in <see cref="Emits"/>.
    /// </summary>
    /// <param name="graph">The graph.</param>
    /// <returns><see langword="true"/> when the rule may apply to the graph.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="graph"/> is <see langword="null"/>.</exception>
    public bool AppliesTo(OnnxGraph graph) => GetNotApplicableReason(graph) is null;

    /// <summary>
    /// Says why the rule cannot apply to a graph at the opsets its model imports: which op of <see cref="Targets"/>,
    /// <see cref="Matches"/> or <see cref="Emits"/> the model's opset does not cover. <see langword="null"/> when it can
    /// (<see cref="AppliesTo"/>).
    /// </summary>
    /// <param name="graph">The graph.</param>
    /// <returns>The reason, such as <c>it matches ai.onnx:Where[9..], and the model imports ai.onnx opset 8</c>; or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="graph"/> is <see langword="null"/>.</exception>
    public string? GetNotApplicableReason(OnnxGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        foreach (var specs in ByOp(Matches))
        {
            if (!specs.Any(s => OpsetInfo.IsSupported(graph, s)))
            {
                return Describe(graph, "matches", specs);
            }
        }

        foreach (var specs in ByOp(Emits))
        {
            if (OpsetInfo.NormalizeDomain(specs[0].Domain) == OpsetInfo.OnnxDomain && !specs.Any(s => OpsetInfo.IsSupported(graph, s)))
            {
                return Describe(graph, "emits", specs);
            }
        }

        return Targets.Any(s => OpsetInfo.IsSupported(graph, s)) ? null : Describe(graph, "targets", Targets);
    }

    /// <summary>Tells whether a node is one of the <see cref="Targets"/>, at a version they cover.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="node">The node.</param>
    /// <returns><see langword="true"/> when the rule should look at the node.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public bool IsTarget(OnnxGraph graph, NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(node);
        foreach (var spec in Targets)
        {
            if (OpsetInfo.IsSupported(graph, node, spec))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Matches the rule at a target node and, when it matches, rewrites the graph with that match.</summary>
    /// <param name="graph">The graph, edited through its methods.</param>
    /// <param name="node">A node that <see cref="IsTarget"/> accepted.</param>
    /// <returns><see langword="true"/> when the rule matched and rewrote the graph.</returns>
    internal abstract bool TryApply(OnnxGraph graph, NodeProto node);

    /// <summary>Imports, or raises, the opsets of other domains that the <see cref="Emits"/> ops need; never the default domain's.</summary>
    /// <param name="graph">The graph.</param>
    /// <exception cref="InvalidOperationException">A default-domain op in <see cref="Emits"/> needs a later opset than the model imports (which <see cref="AppliesTo"/> rules out).</exception>
    private protected void EnsureEmittedOpsets(OnnxGraph graph)
    {
        foreach (var specs in ByOp(Emits))
        {
            if (OpsetInfo.NormalizeDomain(specs[0].Domain) != OpsetInfo.OnnxDomain)
            {
                graph.EnsureOpset(specs[0].Domain, specs.Min(s => s.SinceOpset));
            }
            else if (!specs.Any(s => OpsetInfo.IsSupported(graph, s)))
            {
                throw new InvalidOperationException(
                    $"Rule '{Name}' emitted {string.Join(" or ", specs)}, which the model's default-domain opset {graph.GetOpsetVersion(OpsetInfo.OnnxDomain)} does not cover; a rule never raises that opset.");
            }
        }
    }

    /// <summary>Groups specs by domain and op type, in the order they first appear.</summary>
    private static IEnumerable<OpSpec[]> ByOp(IReadOnlyList<OpSpec> specs) =>
        specs.GroupBy(s => (OpsetInfo.NormalizeDomain(s.Domain), s.OpType)).Select(g => g.ToArray());

    private static string Describe(OnnxGraph graph, string role, IReadOnlyList<OpSpec> specs)
    {
        var domains = specs.Select(s => OpsetInfo.NormalizeDomain(s.Domain)).Distinct(StringComparer.Ordinal).Select(d =>
            graph.GetOpsetVersion(d) is { } v
                ? $"{(d.Length == 0 ? "ai.onnx" : d)} opset {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
                : $"no {(d.Length == 0 ? "ai.onnx" : d)} opset");
        return $"it {role} {string.Join(" or ", specs)}, and the model imports {string.Join(" and ", domains)}";
    }
}
