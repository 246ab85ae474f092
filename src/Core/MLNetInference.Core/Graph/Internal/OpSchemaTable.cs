using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Core.Graph.Internal;

/// <summary>
/// The signatures of the ops the optimizer matches, emits or touches, per opset version: how many inputs and outputs a
/// node may have, which attributes it must carry and which it may no longer carry (those that moved to an input). A
/// node whose op is not in the table is not checked.
/// </summary>
/// <remarks>
/// Read from the ONNX operator changelog and ONNX Runtime's contrib schemas. <c>LayerNormalization</c> is listed in the
/// ONNX domain from version 1 because ONNX Runtime registers its own schema there below 17 (the one ONNX adopted at
/// 17); ONNX Runtime's fusions emit it at any default opset.
/// </remarks>
internal static class OpSchemaTable
{
    private const int Many = int.MaxValue;

    private static readonly Dictionary<string, Entry[]> Entries = Build();

    // Default-domain ops whose first listed version is the one that introduced them.
    private static readonly HashSet<string> Introduced = new(StringComparer.Ordinal)
    {
        "Erf", "Where", "Expand", "Gelu", "Resize", "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger",
    };

    /// <summary>Checks one node against the schema its model's opset selects.</summary>
    /// <param name="node">The node.</param>
    /// <param name="version">The opset version the model imports for the node's domain, or <see langword="null"/> when it imports none.</param>
    /// <returns>What is wrong, or <see langword="null"/> when the node fits (or its op is not in the table).</returns>
    public static string? Check(NodeProto node, long? version)
    {
        var domain = OpsetInfo.NormalizeDomain(node.Domain);
        if (!Entries.TryGetValue(domain + ":" + node.OpType, out var entries))
        {
            return null;
        }

        var shown = domain.Length == 0 ? "ai.onnx" : domain;
        if (version is null)
        {
            return $"it is a {shown} op but the model imports no {shown} opset";
        }

        Entry? entry = null;
        foreach (var candidate in entries)
        {
            if (candidate.Since <= version && (entry is null || candidate.Since > entry.Since))
            {
                entry = candidate;
            }
        }

        if (entry is null)
        {
            // Below the first listed version only ops that first appeared there are reported; older forms of the
            // others are not in the table.
            if (!Introduced.Contains(node.OpType) || domain.Length != 0)
            {
                return null;
            }

            return $"{node.OpType} needs {shown} opset {entries.Min(e => e.Since)} or later, and the model declares {version}";
        }

        var inputs = CountPresent(node.Input);
        if (inputs < entry.MinInputs || inputs > entry.MaxInputs)
        {
            return $"{node.OpType}-{entry.Since} (model opset {version}) takes {Range(entry.MinInputs, entry.MaxInputs)} inputs, and the node has {inputs}";
        }

        var outputs = node.Output.Count;
        if (outputs < entry.MinOutputs || outputs > entry.MaxOutputs)
        {
            return $"{node.OpType}-{entry.Since} (model opset {version}) has {Range(entry.MinOutputs, entry.MaxOutputs)} outputs, and the node has {outputs}";
        }

        foreach (var required in entry.Required)
        {
            if (!node.Attribute.Any(a => a.Name == required))
            {
                return $"{node.OpType}-{entry.Since} (model opset {version}) needs the attribute '{required}'";
            }
        }

        foreach (var forbidden in entry.Forbidden)
        {
            if (node.Attribute.Any(a => a.Name == forbidden))
            {
                return $"{node.OpType}-{entry.Since} (model opset {version}) has no attribute '{forbidden}' (it moved to an input or was removed)";
            }
        }

        return null;
    }

    // Optional inputs may be left empty inside the list; trailing empty names do not count.
    private static int CountPresent(IList<string> values)
    {
        var count = values.Count;
        while (count > 0 && values[count - 1].Length == 0)
        {
            count--;
        }

        return count;
    }

    private static string Range(int min, int max) => min == max ? $"{min}" : max == Many ? $"{min} or more" : $"{min} to {max}";

    private static Dictionary<string, Entry[]> Build()
    {
        var table = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        void Onnx(string op, long since, int minIn, int maxIn, int minOut = 1, int maxOut = 1, string[]? required = null, string[]? forbidden = null) =>
            Add(table, string.Empty, op, new Entry(since, minIn, maxIn, minOut, maxOut, required ?? [], forbidden ?? []));
        void Ms(string op, int minIn, int maxIn, int minOut = 1, int maxOut = 1, string[]? required = null) =>
            Add(table, OpsetInfo.MicrosoftDomain, op, new Entry(1, minIn, maxIn, minOut, maxOut, required ?? [], []));

        // Ops whose signature changed across opsets.
        Onnx("Unsqueeze", 1, 1, 1, required: ["axes"]);
        Onnx("Unsqueeze", 13, 2, 2, forbidden: ["axes"]);
        Onnx("Squeeze", 1, 1, 1);
        Onnx("Squeeze", 13, 1, 2, forbidden: ["axes"]);
        foreach (var reduce in new[] { "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare" })
        {
            Onnx(reduce, 1, 1, 1);
            Onnx(reduce, 18, 1, 2, forbidden: ["axes"]);
        }

        Onnx("ReduceSum", 1, 1, 1);
        Onnx("ReduceSum", 13, 1, 2, forbidden: ["axes"]);
        Onnx("Split", 2, 1, 1, 1, Many);
        Onnx("Split", 13, 1, 2, 1, Many, forbidden: ["split"]);
        Onnx("Clip", 6, 1, 1);
        Onnx("Clip", 11, 1, 3, forbidden: ["min", "max"]);
        Onnx("Pad", 2, 1, 1, required: ["pads"]);
        Onnx("Pad", 11, 2, 3, forbidden: ["pads", "value"]);
        Onnx("Pad", 18, 2, 4, forbidden: ["pads", "value"]);
        Onnx("Slice", 1, 1, 1, required: ["starts", "ends"]);
        Onnx("Slice", 10, 3, 5, forbidden: ["starts", "ends", "axes"]);
        Onnx("Softmax", 1, 1, 1);
        Onnx("Dropout", 7, 1, 1, 1, 2);
        Onnx("Dropout", 12, 1, 3, 1, 2, forbidden: ["ratio"]);
        Onnx("BatchNormalization", 7, 5, 5, 1, 5);
        Onnx("BatchNormalization", 9, 5, 5, 1, 5, forbidden: ["spatial"]);
        Onnx("BatchNormalization", 14, 5, 5, 1, 3, forbidden: ["spatial"]);
        Onnx("Resize", 10, 2, 2);
        Onnx("Resize", 11, 3, 4);
        Onnx("Resize", 13, 1, 4);
        Onnx("Gemm", 7, 3, 3);
        Onnx("Gemm", 11, 2, 3);
        Onnx("LayerNormalization", 1, 2, 3, 1, 3);
        Onnx("Gelu", 20, 1, 1);
        Onnx("QuantizeLinear", 10, 2, 3);
        Onnx("DequantizeLinear", 10, 2, 3);
        Onnx("DynamicQuantizeLinear", 11, 1, 1, 3, 3);
        Onnx("MatMulInteger", 10, 2, 4);
        Onnx("ConvInteger", 10, 2, 4);

        // Ops whose signature did not change in the versions seen here.
        foreach (var binary in new[] { "Add", "Sub", "Mul", "Div", "Pow", "MatMul" })
        {
            Onnx(binary, 1, 2, 2);
        }

        foreach (var unary in new[] { "Sqrt", "Tanh", "Relu", "Sigmoid", "Transpose", "Shape", "Identity", "Flatten", "GlobalAveragePool", "Neg", "Reciprocal" })
        {
            Onnx(unary, 1, 1, 1);
        }

        Onnx("Erf", 9, 1, 1);
        Onnx("Where", 9, 3, 3);
        Onnx("Expand", 8, 2, 2);
        Onnx("Cast", 1, 1, 1, required: ["to"]);
        Onnx("Reshape", 5, 2, 2);
        Onnx("Gather", 1, 2, 2);
        Onnx("Concat", 4, 1, Many, required: ["axis"]);
        Onnx("Conv", 1, 2, 3);
        Onnx("Constant", 1, 0, 0);
        Onnx("MaxPool", 1, 1, 1, 1, 2, required: ["kernel_shape"]);
        Onnx("AveragePool", 1, 1, 1, required: ["kernel_shape"]);

        // ONNX Runtime's contrib ops (com.microsoft, version 1), which run at any default-domain opset.
        Ms("Attention", 2, 7, 1, 2, required: ["num_heads"]);
        Ms("QAttention", 5, 9, 1, 2, required: ["num_heads"]);
        Ms("SkipLayerNormalization", 3, 5, 1, 4);
        Ms("Gelu", 1, 1);
        Ms("BiasGelu", 2, 2);
        Ms("FastGelu", 1, 2);
        Ms("DynamicQuantizeMatMul", 3, 5);
        Ms("MatMulIntegerToFloat", 4, 8);
        Ms("MatMulNBits", 3, 6, required: ["K", "N", "block_size"]);
        Ms("FusedMatMul", 2, 2);
        return table.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    private static void Add(Dictionary<string, List<Entry>> table, string domain, string op, Entry entry)
    {
        var key = domain + ":" + op;
        if (!table.TryGetValue(key, out var list))
        {
            list = [];
            table[key] = list;
        }

        list.Add(entry);
    }

    private sealed record Entry(long Since, int MinInputs, int MaxInputs, int MinOutputs, int MaxOutputs, string[] Required, string[] Forbidden);
}
