using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using static MLNetInference.Core.Graph.OpsetInfo;
using static MLNetInference.Optimizers.Passes.Fusion.FusionGraphHelpers;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// Fuses a residual <c>Add(a, b)</c> followed by <c>LayerNormalization</c> over the last axis into one
/// <c>com.microsoft</c> <c>SkipLayerNormalization</c>, folding in the projection bias when one operand is itself
/// <c>Add(MatMul(…), bias)</c>.
/// </summary>
/// <remarks>
/// <para>
/// The sum must be read only by the normalization, and only the normalization's first output may be used. Gamma
/// (and beta, when present) must be constant one-dimensional float tensors.
/// </para>
/// <para>
/// SkipLayerNormalization wants its two operands to have the same shape, and the graph carries no shapes to check
/// that. So the rule only fuses the transformer residual form: one operand comes from a <c>MatMul</c> (a projection,
/// possibly through its bias <c>Add</c>), which has the full <c>[…, hidden]</c> shape, and the other is the residual
/// stream. A sum of embeddings (where one operand may broadcast over the batch) stays a plain LayerNormalization.
/// </para>
/// </remarks>
public sealed class SkipLayerNormalizationFusion : RewriteRule<SkipLayerNormalizationFusion.Match>
{
    /// <inheritdoc />
    public override string Name => "skip-layer-normalization-fusion";

    /// <inheritdoc />
    /// <remarks>Any default-domain opset: ONNX's op from 17, ONNX Runtime's (same signature) below it.</remarks>
    public override IReadOnlyList<OpSpec> Targets { get; } = LayerNormalizationFusion.LayerNormalizationOp;

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Matches { get; } = [OpSpec.Onnx("Add", 7), OpSpec.Onnx("MatMul")];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Emits { get; } = [OpSpec.Microsoft("SkipLayerNormalization")];

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, Match match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        var m = match;
        var node = m.Norm;
        var output = node.Output[0];
        var gamma = node.Input[1];
        var beta = node.Input.Count > 2 ? node.Input[2] : string.Empty;
        var epsilon = 1e-5f;
        foreach (var attribute in node.Attribute)
        {
            if (attribute.Name == "epsilon")
            {
                epsilon = attribute.F;
            }
        }

        var removed = new List<NodeProto> { node, m.Sum };
        if (m.BiasAdd is not null)
        {
            removed.Add(m.BiasAdd);
        }

        ReplaceNodes(graph, removed, () =>
        {
            var inputs = new List<string> { m.Input, m.Skip, gamma };
            if (beta.Length > 0 || m.Bias is not null)
            {
                inputs.Add(beta);
            }

            if (m.Bias is not null)
            {
                inputs.Add(m.Bias);
            }

            graph.AddNode(
                "SkipLayerNormalization",
                inputs,
                [output],
                graph.GenerateUniqueName("SkipLayerNormalization"),
                MicrosoftDomain,
                [FloatAttribute("epsilon", epsilon)]);
        });
    }

    /// <inheritdoc />
    public override Match? TryMatch(OnnxGraph graph, NodeProto node)
    {
        var norm = node;
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(norm);
        if (!IsOnnxDomain(norm) || norm.Input.Count < 2 || GetInt(norm, "axis", -1) != -1
            || GetInt(norm, "stash_type", 1) != 1 || !IsFloatVector(graph, norm.Input[1])
            || (norm.Input.Count > 2 && norm.Input[2].Length > 0 && !IsFloatVector(graph, norm.Input[2])))
        {
            return null;
        }

        for (var i = 1; i < norm.Output.Count; i++)
        {
            if (norm.Output[i].Length > 0 && graph.IsUsed(norm.Output[i]))
            {
                return null;
            }
        }

        var sum = graph.GetInputProducer(norm, 0, "Add");
        if (sum is null || !IsOnnxDomain(sum) || sum.Input.Count != 2 || !OnlyUsedBy(graph, sum.Output[0], norm))
        {
            return null;
        }

        for (var i = 0; i < 2; i++)
        {
            var projected = sum.Input[i];
            var skip = sum.Input[1 - i];
            if (projected == skip || graph.TryGetConstant(skip, out _) || graph.TryGetConstant(projected, out _))
            {
                continue;
            }

            var producer = graph.GetProducer(projected);
            if (producer is { OpType: "MatMul" } && IsOnnxDomain(producer))
            {
                return new Match(norm, sum, projected, skip, null, null);
            }

            if (producer is { OpType: "Add" } && IsOnnxDomain(producer) && producer.Input.Count == 2
                && OnlyUsedBy(graph, projected, sum))
            {
                for (var j = 0; j < 2; j++)
                {
                    var bias = producer.Input[j];
                    var matMulOut = producer.Input[1 - j];
                    if (IsFloatVector(graph, bias) && VectorLength(graph, bias) == VectorLength(graph, norm.Input[1])
                        && graph.GetProducer(matMulOut) is { OpType: "MatMul" } mm && IsOnnxDomain(mm))
                    {
                        return new Match(norm, sum, matMulOut, skip, bias, producer);
                    }
                }
            }
        }

        return null;
    }

    /// <summary>A residual <c>Add</c> feeding a <c>LayerNormalization</c>.</summary>
    /// <param name="Norm">The <c>LayerNormalization</c>.</param>
    /// <param name="Sum">The residual <c>Add</c>.</param>
    /// <param name="Input">The projected operand (a MatMul's output).</param>
    /// <param name="Skip">The residual stream.</param>
    /// <param name="Bias">The projection bias folded in, or <see langword="null"/>.</param>
    /// <param name="BiasAdd">The <c>Add</c> of that bias, or <see langword="null"/>.</param>
    public sealed record Match(NodeProto Norm, NodeProto Sum, string Input, string Skip, string? Bias, NodeProto? BiasAdd);
}
