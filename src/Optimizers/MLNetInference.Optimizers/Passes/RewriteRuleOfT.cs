using MLNetInference.Core.Onnx.Proto;

using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Passes;

/// <summary>
/// A rewrite rule whose match is an object: <see cref="TryMatch"/> looks at a node and returns what it found (the
/// nodes and values of the pattern), and <see cref="Rewrite"/> receives exactly that, so the pattern is matched once.
/// </summary>
/// <typeparam name="TMatch">What a match found.</typeparam>
public abstract class RewriteRule<TMatch> : RewriteRule
    where TMatch : class
{
    /// <summary>Checks cheaply whether the rule applies at a node. It must not change the graph.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="node">A node of one of the <see cref="RewriteRule.Targets"/>, at a version they cover.</param>
    /// <returns>What the rewrite needs, or <see langword="null"/> when the rule does not apply.</returns>
    public abstract TMatch? TryMatch(OnnxGraph graph, NodeProto node);

    /// <summary>Rewrites the graph for a match that <see cref="TryMatch"/> returned, before any other change to the graph.</summary>
    /// <param name="graph">The graph, edited through its methods.</param>
    /// <param name="match">The match.</param>
    public abstract void Rewrite(OnnxGraph graph, TMatch match);

    /// <inheritdoc />
    internal sealed override bool TryApply(OnnxGraph graph, NodeProto node)
    {
        var match = TryMatch(graph, node);
        if (match is null)
        {
            return false;
        }

        Rewrite(graph, match);
        EnsureEmittedOpsets(graph);
        return true;
    }
}
