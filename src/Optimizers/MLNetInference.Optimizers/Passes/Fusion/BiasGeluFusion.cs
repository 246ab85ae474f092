using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using static MLNetInference.Core.Graph.OpsetInfo;
using static MLNetInference.Optimizers.Passes.Fusion.FusionGraphHelpers;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// Fuses <c>Add(x, bias)</c> followed by <c>com.microsoft</c> <c>Gelu</c> into one <c>com.microsoft</c> <c>BiasGelu</c>,
/// when the bias is a constant one-dimensional float tensor and the sum is read only by the Gelu.
/// </summary>
public sealed class BiasGeluFusion : RewriteRule<BiasGeluFusion.Match>
{
    /// <inheritdoc />
    public override string Name => "bias-gelu-fusion";

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Targets { get; } = [OpSpec.Microsoft("Gelu")];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Matches { get; } = [OpSpec.Onnx("Add", 7)];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Emits { get; } = [OpSpec.Microsoft("BiasGelu")];

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, Match match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        var output = match.Gelu.Output[0];
        ReplaceNodes(graph, [match.Gelu, match.Add], () =>
            graph.AddNode("BiasGelu", [match.X, match.Bias], [output], graph.GenerateUniqueName("BiasGelu"), MicrosoftDomain));
    }

    /// <inheritdoc />
    public override Match? TryMatch(OnnxGraph graph, NodeProto node)
    {
        var gelu = node;
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(gelu);
        if (!IsInDomain(gelu, MicrosoftDomain) || gelu.Input.Count != 1 || gelu.Output.Count != 1)
        {
            return null;
        }

        var add = graph.GetInputProducer(gelu, 0, "Add");
        if (add is null || !IsOnnxDomain(add) || add.Input.Count != 2 || !OnlyUsedBy(graph, add.Output[0], gelu))
        {
            return null;
        }

        for (var i = 0; i < 2; i++)
        {
            var bias = add.Input[i];
            var x = add.Input[1 - i];
            if (IsFloatVector(graph, bias) && VectorLength(graph, bias) > 1 && !graph.TryGetConstant(x, out _))
            {
                return new Match(gelu, add, x, bias);
            }
        }

        return null;
    }

    /// <summary>A bias <c>Add</c> feeding a <c>Gelu</c>.</summary>
    /// <param name="Gelu">The <c>Gelu</c>.</param>
    /// <param name="Add">The <c>Add</c> of the bias.</param>
    /// <param name="X">The value the bias is added to.</param>
    /// <param name="Bias">The constant bias.</param>
    public sealed record Match(NodeProto Gelu, NodeProto Add, string X, string Bias);
}
