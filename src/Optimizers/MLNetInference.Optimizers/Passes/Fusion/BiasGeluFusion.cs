using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using static MLNetInference.Optimizers.Passes.Fusion.FusionGraphHelpers;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// Fuses <c>Add(x, bias)</c> followed by <c>com.microsoft</c> <c>Gelu</c> into one <c>com.microsoft</c> <c>BiasGelu</c>,
/// when the bias is a constant one-dimensional float tensor and the sum is read only by the Gelu.
/// </summary>
public sealed class BiasGeluFusion : RewriteRule
{
    /// <inheritdoc />
    public override string Name => "bias-gelu-fusion";

    /// <inheritdoc />
    public override string Domain => MicrosoftDomain;

    /// <inheritdoc />
    public override IReadOnlyList<string> TargetOpTypes { get; } = ["Gelu"];

    /// <inheritdoc />
    public override bool Match(OnnxGraph graph, NodeProto node) => TryMatch(graph, node) is not null;

    /// <inheritdoc />
    public override bool Rewrite(OnnxGraph graph, NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var match = TryMatch(graph, node);
        if (match is null)
        {
            return false;
        }

        var (add, x, bias) = match.Value;
        var output = node.Output[0];
        ReplaceNodes(graph, new[] { node, add }, () =>
        {
            graph.EnsureOpset(MicrosoftDomain, 1);
            graph.AddNode("BiasGelu", [x, bias], [output], graph.GenerateUniqueName("BiasGelu"), MicrosoftDomain);
        });
        return true;
    }

    private static (NodeProto Add, string X, string Bias)? TryMatch(OnnxGraph graph, NodeProto gelu)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(gelu);
        if (gelu.Domain != MicrosoftDomain || gelu.Input.Count != 1 || gelu.Output.Count != 1)
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
                return (add, x, bias);
            }
        }

        return null;
    }
}
