using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes.Internal;

namespace MLNetInference.Optimizers.Passes.Rules;

/// <summary>
/// Removes an <c>Identity</c> node, rewiring its readers to its input. When the Identity feeds a graph output, the
/// producer of its input is renamed to the output instead; when that is impossible (the input is a graph input, an
/// initializer or another graph output) the node stays.
/// </summary>
public sealed class IdentityEliminationRule : RewriteRule<ValueForwardingMatch>
{
    /// <inheritdoc />
    public override string Name => "identity-elimination";

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Targets { get; } = [OpSpec.Onnx("Identity")];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Matches { get; } = [];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Emits { get; } = [];

    /// <inheritdoc />
    public override ValueForwardingMatch? TryMatch(OnnxGraph graph, NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(node);
        return node.Input.Count == 1 && node.Output.Count == 1 && ValueForwarding.CanBypass(graph, node.Input[0], node.Output[0])
            ? new ValueForwardingMatch(node, node.Input[0], node.Output[0])
            : null;
    }

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, ValueForwardingMatch match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        ValueForwarding.Bypass(graph, match.Node, match.Source, match.Target);
    }
}
