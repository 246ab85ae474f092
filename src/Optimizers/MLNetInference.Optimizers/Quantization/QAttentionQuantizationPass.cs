using Google.Protobuf;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Quantization.Internal;

namespace MLNetInference.Optimizers.Quantization;

/// <summary>
/// Dynamic INT8 quantization of fused self-attention: every <c>com.microsoft</c> <c>Attention</c> whose QKV weight is a
/// constant float <c>[D, 3·H]</c> initializer (as <see cref="Passes.Fusion.AttentionFusion"/> builds it) becomes a
/// <c>DynamicQuantizeLinear</c> of its input feeding a <c>com.microsoft</c> <c>QAttention</c> with symmetric int8
/// weights (per column or per tensor, as <see cref="DynamicInt8Options.PerChannel"/> says). The bias, mask and the
/// <c>num_heads</c>, <c>unidirectional</c>, <c>scale</c> and <c>mask_filter_value</c> attributes carry over.
/// </summary>
/// <remarks>
/// Run it before <see cref="DynamicInt8QuantizationPass"/> in a recipe that fused attention; the recipe
/// <c>fuse+int8-dynamic</c> does. Attention nodes with a <c>past</c> input, extra attributes (for example
/// <c>qkv_hidden_sizes</c>) or a non-constant weight are left alone and listed in the summary's skipped entries.
/// QAttention takes uint8 activations only, so <see cref="DynamicInt8Options.WeightType"/> decides the weight type alone.
/// </remarks>
public sealed class QAttentionQuantizationPass : ModelPass
{
    private static readonly HashSet<string> CarriedAttributes = new(StringComparer.Ordinal) { "num_heads", "unidirectional", "scale", "mask_filter_value" };

    private readonly DynamicInt8Options _options;
    private readonly WeightSelection _selection;

    /// <summary>Initializes a new instance of the <see cref="QAttentionQuantizationPass"/> class.</summary>
    /// <param name="options">The weight settings; defaults (per-column signed int8) when <see langword="null"/>. Only
    /// <see cref="DynamicInt8Options.PerChannel"/>, <see cref="DynamicInt8Options.ReduceRange"/>,
    /// <see cref="DynamicInt8Options.WeightType"/> and the exclusions apply.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="DynamicInt8Options.MinimumWeightElements"/> is negative.</exception>
    public QAttentionQuantizationPass(DynamicInt8Options? options = null)
    {
        _options = options ?? new DynamicInt8Options();
        _selection = _options.ToSelection();
    }

    /// <inheritdoc/>
    public override string Name => "qattention";

    /// <summary>Gets the number of <c>Attention</c> nodes the latest run replaced by <c>QAttention</c>.</summary>
    public int QuantizedAttentions { get; private set; }

    /// <summary>Gets the <c>Attention</c> nodes the latest run left alone, each with the reason.</summary>
    public IReadOnlyList<string> Skipped { get; private set; } = [];

    /// <inheritdoc/>
    protected override bool RunCore(ModelProto model)
    {
        var graph = new OnnxGraph(model);
        var touched = new List<string>();
        var skipped = new List<string>();
        var count = 0;
        foreach (var node in graph.TopologicalOrder())
        {
            if (!OpsetInfo.IsOp(node, "Attention", OpsetInfo.MicrosoftDomain) || node.Input.Count < 3)
            {
                continue;
            }

            var label = node.Name.Length > 0 ? node.Name : $"Attention->{node.Output[0]}";
            var reason = Check(node, graph, out var weight);
            if (reason is not null)
            {
                skipped.Add($"{label}: {reason}");
                continue;
            }

            Rewrite(node, weight!, graph);
            touched.Add(weight!.Name);
            count++;
        }

        QuantizedAttentions = count;
        Skipped = skipped;
        if (count == 0)
        {
            return false;
        }

        graph.RemoveUnusedInitializers(touched);
        graph.Commit();
        return true;
    }

    private string? Check(NodeProto node, OnnxGraph graph, out TensorProto? weight)
    {
        weight = graph.GetConstantInitializer(node.Input[1]);
        if (weight is null || (TensorProto.Types.DataType)weight.DataType != TensorProto.Types.DataType.Float)
        {
            return "the QKV weight is not a constant float initializer";
        }

        if (_selection.SkipReason(node, weight) is { } reason)
        {
            return reason;
        }

        if (node.Input.Count > 4 && node.Input.Skip(4).Any(i => i.Length > 0))
        {
            return "inputs past mask_index (past, attention bias) are not handled";
        }

        if (node.Output.Count > 1 && node.Output.Skip(1).Any(o => o.Length > 0))
        {
            return "the present output is not handled";
        }

        if (node.Attribute.FirstOrDefault(a => !CarriedAttributes.Contains(a.Name)) is { } extra)
        {
            return $"attribute '{extra.Name}' is not handled";
        }

        var bias = graph.GetConstantInitializer(node.Input[2]);
        if (bias is null || bias.Dims.Count != 1 || bias.Dims[0] != weight.Dims[1] || weight.Dims[1] % 3 != 0)
        {
            return "the bias is not a constant [3·hidden] vector";
        }

        return null;
    }

    private void Rewrite(NodeProto node, TensorProto weight, OnnxGraph graph)
    {
        if (!TensorData.TryReadFloat(weight, out var values))
        {
            throw new InvalidOperationException($"Cannot read the float weight '{weight.Name}'.");
        }

        var rows = checked((int)weight.Dims[0]);
        var columns = checked((int)weight.Dims[1]);
        var weightNames = SymmetricWeightQuantizer.AddQuantized(graph, weight.Name, values, rows, columns, _options);

        var name = node.Name.Length > 0 ? node.Name : graph.GenerateUniqueName($"{node.Output[0]}_QAttention");
        var input = node.Input[0];
        var quantizedInput = graph.GenerateUniqueName($"{input}_quantized");
        var inputScale = graph.GenerateUniqueName($"{input}_scale");
        var inputZero = graph.GenerateUniqueName($"{input}_zero_point");
        var dql = new NodeProto { Name = graph.GenerateUniqueName($"{name}_DynamicQuantizeLinear"), OpType = "DynamicQuantizeLinear" };
        dql.Input.Add(input);
        dql.Output.AddRange([quantizedInput, inputScale, inputZero]);

        var mask = node.Input.Count > 3 ? node.Input[3] : string.Empty;
        var qAttention = new NodeProto { Name = name, OpType = "QAttention", Domain = OpsetInfo.MicrosoftDomain };
        qAttention.Input.AddRange([quantizedInput, weightNames.Values, node.Input[2], inputScale, weightNames.Scale, mask, inputZero, weightNames.ZeroPoint]);
        qAttention.Output.Add(node.Output[0]);
        qAttention.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));

        graph.ReplaceNode(node, qAttention);
        graph.AddNode(dql);
    }
}
