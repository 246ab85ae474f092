using MLNetInference.Core.Onnx.Proto;

using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Passes;

/// <summary>
/// A local rewrite: it targets op types, checks a node cheaply with <see cref="Match"/>, and only then rewrites it.
/// A <see cref="RuleBasedPass"/> dispatches its rules by op type in one walk over the graph.
/// </summary>
public abstract class RewriteRule
{
    /// <summary>Gets the rule's name, used in reports.</summary>
    public abstract string Name { get; }

    /// <summary>Gets the op types whose nodes the rule looks at.</summary>
    public abstract IReadOnlyList<string> TargetOpTypes { get; }

    /// <summary>Gets the domain of the target op types; <c>""</c> (the default) for the ONNX domain.</summary>
    public virtual string Domain => string.Empty;

    /// <summary>Checks cheaply whether the rule applies at a node. It must not change the graph.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="node">A node of one of the <see cref="TargetOpTypes"/>.</param>
    /// <returns><see langword="true"/> when <see cref="Rewrite"/> should run.</returns>
    public abstract bool Match(OnnxGraph graph, NodeProto node);

    /// <summary>Rewrites the graph at a node that <see cref="Match"/> accepted.</summary>
    /// <param name="graph">The graph, edited through its methods.</param>
    /// <param name="node">The matched node.</param>
    /// <returns><see langword="true"/> when the graph changed.</returns>
    public abstract bool Rewrite(OnnxGraph graph, NodeProto node);
}
