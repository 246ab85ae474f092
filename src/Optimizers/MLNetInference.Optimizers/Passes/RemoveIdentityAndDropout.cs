using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes.Rules;

namespace MLNetInference.Optimizers.Passes;

/// <summary>
/// Cleanup: removes <c>Identity</c> nodes and inference-mode <c>Dropout</c> nodes, rewiring their readers and keeping
/// the graph outputs' names (see <see cref="IdentityEliminationRule"/> and <see cref="DropoutEliminationRule"/>).
/// </summary>
public sealed class RemoveIdentityAndDropout : ModelPass
{
    private readonly RewriteRule[] _rules = [new IdentityEliminationRule(), new DropoutEliminationRule()];

    /// <inheritdoc />
    public override string Name => "remove-identity-dropout";

    /// <summary>Gets the pass's rules, for the report of the rules a model's opsets rule out.</summary>
    internal IReadOnlyList<RewriteRule> Rules => _rules;

    /// <inheritdoc />
    protected override bool RunCore(ModelProto model)
    {
        var graph = new OnnxGraph(model);
        var changed = RuleBasedPass.Apply(graph, _rules);
        if (changed)
        {
            graph.Commit();
        }

        return changed;
    }
}
