using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes.Internal;
using static MLNetInference.Core.Graph.OpsetInfo;
using static MLNetInference.Optimizers.Passes.Fusion.FusionGraphHelpers;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// Fuses a 2-D <c>MatMul(A[M, K], B[K, N])</c> with a constant float <c>B</c>, followed by <c>Add</c> of a constant
/// float bias <c>[N]</c> or <c>[1, N]</c>, into one <c>Gemm(A, B, bias)</c>.
/// </summary>
/// <remarks>
/// A must be known to be 2-D: a graph input or value whose declared shape has rank 2, or the output of
/// <c>Flatten</c>, <c>Gemm</c>, a <c>Reshape</c> to a constant 2-element shape, or a unary elementwise op (<c>Relu</c>,
/// <c>Sigmoid</c>, <c>Tanh</c>, ...) of such a value. 3-D activations (BERT) are left
/// alone, since <c>Gemm</c> is 2-D only and <see cref="BiasGeluFusion"/>, <see cref="SkipLayerNormalizationFusion"/>,
/// <see cref="AttentionFusion"/> and the quantizer's bias folding read their MatMul + Add. The rule also leaves an
/// <c>Add</c> that feeds a <c>Gelu</c> or <c>LayerNormalization</c> for those fusions. The MatMul's output must be read
/// by the Add alone.
/// </remarks>
public sealed class MatMulAddToGemmFusion : RewriteRule<MatMulAddToGemmFusion.Match>
{
    /// <inheritdoc />
    public override string Name => "matmul-add-to-gemm";

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Targets { get; } = [OpSpec.Onnx("Add", 7)];

    /// <inheritdoc />
    /// <remarks>
    /// <c>Flatten</c>, <c>Gemm</c> and <c>Reshape</c> (its target as an input, from 5) are read as producers whose output
    /// is known to be 2-D; the unary elementwise ops it looks through keep their input's shape at every version.
    /// </remarks>
    public override IReadOnlyList<OpSpec> Matches { get; } =
        [OpSpec.Onnx("MatMul"), OpSpec.Onnx("Flatten"), OpSpec.Onnx("Gemm", 7, 10), OpSpec.Onnx("Gemm", 11), OpSpec.Onnx("Reshape", 5, 13), OpSpec.Onnx("Reshape", 14)];

    /// <inheritdoc />
    /// <remarks>From 7 (no <c>broadcast</c> attribute; the bias broadcasts); the rule always gives <c>C</c>, which 11 made optional.</remarks>
    public override IReadOnlyList<OpSpec> Emits { get; } = [OpSpec.Onnx("Gemm", 7, 10), OpSpec.Onnx("Gemm", 11)];

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, Match match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        var (add, matMul, bias) = match;
        var a = matMul.Input[0];
        var b = matMul.Input[1];
        var output = add.Output[0];
        var name = matMul.Name.Length > 0 ? matMul.Name : graph.GenerateUniqueName("Gemm");
        ReplaceNodes(graph, [add, matMul], () => graph.AddNode("Gemm", [a, b, bias], [output], name));
    }

    /// <inheritdoc />
    public override Match? TryMatch(OnnxGraph graph, NodeProto node)
    {
        var add = node;
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(add);
        if (!IsOnnxDomain(add) || add.Input.Count != 2 || add.Output.Count != 1 || add.Input[0] == add.Input[1])
        {
            return null;
        }

        if (graph.GetConsumers(add.Output[0]).Any(c => c.OpType is "Gelu" or "LayerNormalization" or "SkipLayerNormalization"))
        {
            return null;
        }

        for (var i = 0; i < 2; i++)
        {
            var matMul = graph.GetInputProducer(add, i, "MatMul");
            var bias = add.Input[1 - i];
            if (matMul is null || !IsOnnxDomain(matMul) || matMul.Input.Count != 2 || !OnlyUsedBy(graph, matMul.Output[0], add)
                || !graph.TryGetConstant(matMul.Input[1], out var weight) || weight.ElementType != TensorProto.Types.DataType.Float || weight.Dims.Count != 2
                || !graph.TryGetConstant(bias, out var biasTensor) || biasTensor.ElementType != TensorProto.Types.DataType.Float
                || !IsBiasRow(biasTensor.Dims, weight.Dims[1]) || !IsMatrix(graph, matMul.Input[0]))
            {
                continue;
            }

            return new Match(add, matMul, bias);
        }

        return null;
    }

    private static bool IsBiasRow(IReadOnlyList<long> dims, long columns) =>
        (dims.Count == 1 && dims[0] == columns) || (dims.Count == 2 && dims[0] == 1 && dims[1] == columns);

    /// <summary>Tells whether a value is known to be 2-D, following unary elementwise ops back a few steps.</summary>
    private static bool IsMatrix(OnnxGraph graph, string value, int depth = 0)
    {
        if (ShapeEvaluator.StaticDims(graph, value) is { } dims)
        {
            return dims.Length == 2;
        }

        var producer = graph.GetProducer(value);
        if (producer is null || !IsOnnxDomain(producer) || depth > 8)
        {
            return false;
        }

        return producer.OpType switch
        {
            "Flatten" or "Gemm" => true,
            "Reshape" => producer.Input.Count == 2 && graph.TryGetConstant(producer.Input[1], out var shape) && shape.ElementCount == 2,
            "Relu" or "LeakyRelu" or "Sigmoid" or "Tanh" or "Elu" or "Selu" or "Softplus" or "HardSigmoid" or "Erf" or "Abs" or "Neg" or "Clip" or "Dropout" or "Identity"
                => producer.Input.Count >= 1 && IsMatrix(graph, producer.Input[0], depth + 1),
            _ => false,
        };
    }

    /// <summary>A 2-D <c>MatMul</c> and the <c>Add</c> of its bias.</summary>
    /// <param name="Add">The <c>Add</c>.</param>
    /// <param name="MatMul">The <c>MatMul</c>.</param>
    /// <param name="Bias">The constant bias row.</param>
    public sealed record Match(NodeProto Add, NodeProto MatMul, string Bias);
}
