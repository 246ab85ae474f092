using Google.Protobuf;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using MLNetInference.Optimizers.Passes;
using MLNetInference.Optimizers.Quantization.Internal;

namespace MLNetInference.Optimizers.Quantization;

/// <summary>
/// Dynamic INT8 quantization of weights: every <c>MatMul</c> whose B is a 2-D float initializer, and every
/// <c>Gemm</c> with a constant B (transB and alpha folded into the weights, beta·C into the bias; transA must be 0),
/// becomes a <c>com.microsoft</c> <c>DynamicQuantizeMatMul</c> with symmetric 8-bit weights. ONNX Runtime quantizes
/// the activations to uint8 per call. A following <c>Add</c> of a constant 1-D bias of length N is folded into the
/// node's bias input when nothing else reads the MatMul's output. fp32 weights that nothing reads any more are removed.
/// </summary>
public sealed class DynamicInt8QuantizationPass : ModelPass
{
    /// <summary>The domain of ONNX Runtime's contrib operators (<see cref="OpsetInfo.MicrosoftDomain"/>).</summary>
    public const string MicrosoftDomain = OpsetInfo.MicrosoftDomain;

    private readonly DynamicInt8Options _options;
    private readonly WeightSelection _selection;

    /// <summary>Initializes a new instance of the <see cref="DynamicInt8QuantizationPass"/> class.</summary>
    /// <param name="options">The settings; defaults (per-channel signed int8, bias folding) when <see langword="null"/>.</param>
    public DynamicInt8QuantizationPass(DynamicInt8Options? options = null)
    {
        _options = options ?? new DynamicInt8Options();
        _selection = _options.ToSelection();
    }

    /// <inheritdoc/>
    public override string Name => "dynamic-int8";

    /// <summary>Gets what the latest run did; <see langword="null"/> before the first run.</summary>
    public DynamicInt8Summary? LastSummary { get; private set; }

    /// <inheritdoc/>
    protected override bool RunCore(ModelProto model)
    {
        var summary = new DynamicInt8Summary();
        LastSummary = summary;
        var graph = new OnnxGraph(model);
        var cache = new Dictionary<string, SymmetricWeightQuantizer.Initializers>(StringComparer.Ordinal);
        var touched = new List<string>();
        foreach (var node in graph.TopologicalOrder())
        {
            if (!(OpsetInfo.IsOp(node, "MatMul") || OpsetInfo.IsOp(node, "Gemm")) || node.Input.Count < 2 || !graph.Contains(node))
            {
                continue;
            }

            var weight = graph.GetConstantInitializer(node.Input[1]);
            if (weight is null || (TensorProto.Types.DataType)weight.DataType != TensorProto.Types.DataType.Float)
            {
                continue;
            }

            var label = node.Name.Length > 0 ? node.Name : $"{node.OpType}->{node.Output[0]}";
            var reason = SkipReason(node, weight);
            if (reason is not null)
            {
                summary.Skipped.Add($"{label}: {reason}");
                continue;
            }

            var rewritten = node.OpType == "MatMul"
                ? RewriteMatMul(node, weight, graph, cache, touched, summary)
                : RewriteGemm(node, weight, graph, cache, touched, summary, out reason);
            if (!rewritten)
            {
                summary.Skipped.Add($"{label}: {reason}");
            }
        }

        var changed = summary.QuantizedMatMuls + summary.QuantizedGemms > 0;
        if (changed)
        {
            summary.RemovedInitializers = graph.RemoveUnusedInitializers(touched);
            graph.EnsureOpset(MicrosoftDomain, 1);
            graph.Commit();
        }

        return changed;
    }

    private static long Attribute(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    private static float Attribute(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    private string? SkipReason(NodeProto node, TensorProto weight) => _selection.SkipReason(node, weight);

    private bool RewriteMatMul(NodeProto node, TensorProto weight, OnnxGraph graph, Dictionary<string, SymmetricWeightQuantizer.Initializers> cache, List<string> touched, DynamicInt8Summary summary)
    {
        var columns = checked((int)weight.Dims[1]);
        var quantized = GetOrQuantize(weight, transpose: false, alpha: 1f, graph, cache);
        touched.Add(weight.Name);

        var output = node.Output[0];
        string? bias = null;
        NodeProto? add = null;
        if (_options.FoldBias && TryFindBiasAdd(output, columns, graph, out add, out var biasName))
        {
            bias = biasName;
            output = add.Output[0];
            touched.Add(biasName);
        }

        if (add is not null)
        {
            // The Add goes first: the quantized node takes over its output.
            graph.RemoveNode(add);
            summary.FoldedBiases++;
        }

        graph.ReplaceNode(node, NewNode(node, graph, node.Input[0], quantized, bias, output));

        summary.QuantizedMatMuls++;
        return true;
    }

    private bool RewriteGemm(NodeProto node, TensorProto weight, OnnxGraph graph, Dictionary<string, SymmetricWeightQuantizer.Initializers> cache, List<string> touched, DynamicInt8Summary summary, out string? reason)
    {
        reason = null;
        if (Attribute(node, "transA", 0L) != 0)
        {
            reason = "Gemm with transA=1 is not handled";
            return false;
        }

        var transB = Attribute(node, "transB", 0L) != 0;
        var alpha = Attribute(node, "alpha", 1f);
        var beta = Attribute(node, "beta", 1f);
        var columns = checked((int)(transB ? weight.Dims[0] : weight.Dims[1]));
        string? bias = null;
        float[]? scaledBias = null;
        var c = node.Input.Count > 2 ? node.Input[2] : string.Empty;
        if (c.Length > 0 && beta != 0f)
        {
            var cTensor = graph.GetConstantInitializer(c);
            var isRow = cTensor is not null
                && (cTensor.Dims.Count == 1 || (cTensor.Dims.Count == 2 && cTensor.Dims[0] == 1))
                && cTensor.Dims[^1] == columns;
            if (!isRow || !TensorData.TryReadFloat(cTensor!, out var cValues) || cValues.Length != columns)
            {
                reason = "Gemm's C is not a constant float row of length N";
                return false;
            }

            if (beta == 1f && cTensor!.Dims.Count == 1)
            {
                bias = c;
            }
            else
            {
                scaledBias = [.. cValues.Select(v => v * beta)];
            }

            touched.Add(c);
        }

        if (scaledBias is not null)
        {
            bias = graph.GenerateUniqueName($"{c}_bias");
            graph.AddInitializer(TensorData.FromFloat(bias, [columns], scaledBias));
        }

        var quantized = GetOrQuantize(weight, transB, alpha, graph, cache);
        touched.Add(weight.Name);
        graph.ReplaceNode(node, NewNode(node, graph, node.Input[0], quantized, bias, node.Output[0]));
        summary.QuantizedGemms++;
        return true;
    }

    private static NodeProto NewNode(NodeProto original, OnnxGraph graph, string input, SymmetricWeightQuantizer.Initializers weight, string? bias, string output)
    {
        var name = original.Name.Length > 0 ? original.Name : graph.GenerateUniqueName($"{output}_DynamicQuantizeMatMul");
        var node = new NodeProto { Name = name, OpType = "DynamicQuantizeMatMul", Domain = MicrosoftDomain };
        node.Input.Add(input);
        node.Input.Add(weight.Values);
        node.Input.Add(weight.Scale);
        node.Input.Add(weight.ZeroPoint);
        if (bias is not null)
        {
            node.Input.Add(bias);
        }

        node.Output.Add(output);
        return node;
    }

    /// <summary>Finds the single <c>Add</c> that reads <paramref name="output"/> and a constant float [N] bias.</summary>
    private static bool TryFindBiasAdd(string output, int columns, OnnxGraph graph, out NodeProto add, out string bias)
    {
        add = null!;
        bias = string.Empty;
        var consumers = graph.GetConsumers(output);
        if (graph.IsGraphOutput(output) || consumers.Count != 1)
        {
            return false;
        }

        var candidate = consumers[0];
        if (!OpsetInfo.IsOp(candidate, "Add") || candidate.Input.Count != 2 || candidate.Input[0] == candidate.Input[1])
        {
            return false;
        }

        var other = candidate.Input[0] == output ? candidate.Input[1] : candidate.Input[0];
        var tensor = graph.GetConstantInitializer(other);
        if (tensor is null
            || (TensorProto.Types.DataType)tensor.DataType != TensorProto.Types.DataType.Float
            || tensor.Dims.Count != 1
            || tensor.Dims[0] != columns)
        {
            return false;
        }

        add = candidate;
        bias = other;
        return true;
    }

    private SymmetricWeightQuantizer.Initializers GetOrQuantize(TensorProto weight, bool transpose, float alpha, OnnxGraph graph, Dictionary<string, SymmetricWeightQuantizer.Initializers> cache)
    {
        var key = $"{weight.Name}\u0001{transpose}\u0001{alpha:R}";
        if (cache.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (!TensorData.TryReadFloat(weight, out var values))
        {
            throw new InvalidOperationException($"Cannot read the float weight '{weight.Name}'.");
        }

        var rows = checked((int)weight.Dims[0]);
        var columns = checked((int)weight.Dims[1]);
        if (values.Length != rows * columns)
        {
            throw new InvalidOperationException($"Weight '{weight.Name}' holds {values.Length} values for shape [{rows}, {columns}].");
        }

        if (transpose)
        {
            var transposed = new float[values.Length];
            for (var r = 0; r < rows; r++)
            {
                for (var col = 0; col < columns; col++)
                {
                    transposed[(col * rows) + r] = values[(r * columns) + col];
                }
            }

            values = transposed;
            (rows, columns) = (columns, rows);
        }

        if (alpha != 1f)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] *= alpha;
            }
        }

        var names = SymmetricWeightQuantizer.AddQuantized(graph, weight.Name, values, rows, columns, _options);
        cache[key] = names;
        return names;
    }
}
