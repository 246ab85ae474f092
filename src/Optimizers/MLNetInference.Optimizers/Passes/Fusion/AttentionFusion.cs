using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;
using static MLNetInference.Core.Graph.OpsetInfo;
using static MLNetInference.Optimizers.Passes.Fusion.FusionGraphHelpers;

namespace MLNetInference.Optimizers.Passes.Fusion;

/// <summary>
/// Fuses BERT-style self-attention into one <c>com.microsoft</c> <c>Attention</c> node: the Q, K and V projections
/// (<c>MatMul</c> + bias <c>Add</c> on a shared input), their head split (<c>Reshape</c> to <c>[B, S, heads, size]</c>
/// and <c>Transpose</c>), <c>MatMul(Q, Kᵀ)</c> scaled by a constant, the additive padding mask
/// <c>(1 − mask) · c</c> built from a 2-D 0/1 mask (or its <c>masked_fill</c> form with <c>Where</c>), <c>Softmax</c>, <c>MatMul</c> with V, and the head merge
/// (<c>Transpose</c> and <c>Reshape</c> to <c>[B, S, hidden]</c>).
/// </summary>
/// <remarks>
/// The rule targets the <c>Softmax</c>. The three weight matrices are concatenated into one <c>[hidden, 3·hidden]</c>
/// initializer and the biases into one <c>[3·hidden]</c>; the mask goes in as <c>mask_index</c>, cast once to int32.
/// Every value inside the pattern must be read only by the pattern or by shape computations that die with it.
/// </remarks>
public sealed class AttentionFusion : RewriteRule<AttentionFusion.Match>
{
    /// <inheritdoc />
    public override string Name => "attention-fusion";

    /// <inheritdoc />
    /// <remarks>Both signatures: before 13 <c>Softmax</c> flattens its input to 2-D at <c>axis</c> (default 1), from 13 it works on <c>axis</c> alone (default -1); the rule accepts the last axis of a 4-D input, the same in both.</remarks>
    public override IReadOnlyList<OpSpec> Targets { get; } = [OpSpec.Onnx("Softmax", 1, 12), OpSpec.Onnx("Softmax", 13)];

    /// <inheritdoc />
    /// <remarks>
    /// <c>Unsqueeze</c>'s axes are read from the attribute (before 13) or the input (from 13); <c>Reshape</c> targets are
    /// read as inputs (from 5), and one with <c>allowzero</c> set (from 14) is not matched. <c>Shape</c>, <c>Gather</c>,
    /// <c>Squeeze</c>, <c>Slice</c> and <c>Concat</c> are matched only as shape computations that die with the pattern.
    /// <c>Where</c> (the <c>masked_fill</c> mask) exists from 9, so the rule does not apply below opset 9.
    /// </remarks>
    public override IReadOnlyList<OpSpec> Matches { get; } =
    [
        OpSpec.Onnx("MatMul"), OpSpec.Onnx("Add", 7), OpSpec.Onnx("Div", 7), OpSpec.Onnx("Mul", 7), OpSpec.Onnx("Sub", 7),
        OpSpec.Onnx("Reshape", 5, 13), OpSpec.Onnx("Reshape", 14), OpSpec.Onnx("Transpose"), OpSpec.Onnx("Cast", 6),
        OpSpec.Onnx("Unsqueeze", 1, 12), OpSpec.Onnx("Unsqueeze", 13), OpSpec.Onnx("Concat", 4), OpSpec.Onnx("Shape", 1, 14),
        OpSpec.Onnx("Shape", 15), OpSpec.Onnx("Gather"), OpSpec.Onnx("Squeeze", 1, 12), OpSpec.Onnx("Squeeze", 13),
        OpSpec.Onnx("Slice", 1, 9), OpSpec.Onnx("Slice", 10), OpSpec.Onnx("Where", 9),
    ];

    /// <inheritdoc />
    public override IReadOnlyList<OpSpec> Emits { get; } = [OpSpec.Microsoft("Attention"), OpSpec.Onnx("Cast", 6)];

    /// <inheritdoc />
    public override void Rewrite(OnnxGraph graph, Match match)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(match);
        var m = match;
        graph.TryGetConstant(m.QWeight, out var wq);
        graph.TryGetConstant(m.KWeight, out var wk);
        graph.TryGetConstant(m.VWeight, out var wv);
        graph.TryGetConstant(m.QBias, out var bq);
        graph.TryGetConstant(m.KBias, out var bk);
        graph.TryGetConstant(m.VBias, out var bv);
        wq.TryReadFloat(out var q);
        wk.TryReadFloat(out var k);
        wv.TryReadFloat(out var v);
        bq.TryReadFloat(out var qb);
        bk.TryReadFloat(out var kb);
        bv.TryReadFloat(out var vb);
        var rows = (int)wq.Dims[0];
        var hidden = m.Hidden;
        var weights = new float[rows * 3 * hidden];
        for (var r = 0; r < rows; r++)
        {
            Array.Copy(q, r * hidden, weights, r * 3 * hidden, hidden);
            Array.Copy(k, r * hidden, weights, (r * 3 * hidden) + hidden, hidden);
            Array.Copy(v, r * hidden, weights, (r * 3 * hidden) + (2 * hidden), hidden);
        }

        float[] bias = [.. qb, .. kb, .. vb];
        var weightName = graph.GenerateUniqueName("attention_qkv_weight");
        var biasName = graph.GenerateUniqueName("attention_qkv_bias");
        graph.AddInitializer(TensorData.FromFloat(weightName, [rows, 3L * hidden], weights));
        graph.AddInitializer(TensorData.FromFloat(biasName, [3L * hidden], bias));

        var maskIndex = EnsureInt32Mask(graph, m.MaskSource);
        var output = m.Output.Output[0];
        ReplaceNodes(graph, m.Nodes, () =>
        {
            graph.AddNode(
                "Attention",
                [m.Input, weightName, biasName, maskIndex],
                [output],
                graph.GenerateUniqueName("Attention"),
                MicrosoftDomain,
                [
                    IntAttribute("num_heads", m.Heads),
                    FloatAttribute("scale", m.Scale),
                    FloatAttribute("mask_filter_value", m.MaskFilter),
                ]);
        });
    }

    private static string EnsureInt32Mask(OnnxGraph graph, string mask)
    {
        foreach (var consumer in graph.GetConsumers(mask))
        {
            if (consumer.OpType == "Cast" && IsOnnxDomain(consumer) && GetInt(consumer, "to", 0) == (int)TensorProto.Types.DataType.Int32)
            {
                return consumer.Output[0];
            }
        }

        var name = graph.GenerateUniqueName(mask + "_int32");
        graph.AddNode("Cast", [mask], [name], graph.GenerateUniqueName("Cast"), attributes: [IntAttribute("to", (int)TensorProto.Types.DataType.Int32)]);
        return name;
    }

    /// <inheritdoc />
    public override Match? TryMatch(OnnxGraph graph, NodeProto node)
    {
        var softmax = node;
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(softmax);
        // Before opset 13 Softmax flattens its input to 2-D at axis, which defaults to 1 there (-1 from 13 on); the last
        // axis of a 4-D input is axis -1 or 3 either way.
        var defaultAxis = graph.GetOpsetVersion(OnnxDomain) >= 13 ? -1 : 1;
        if (!IsOnnxDomain(softmax) || GetInt(softmax, "axis", defaultAxis) is not (-1 or 3))
        {
            return null;
        }

        var nodes = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance) { softmax };

        // Softmax(Add(scale(MatMul(q, kT)), mask))
        var addMask = graph.GetInputProducer(softmax, 0, "Add");
        if (addMask is null || addMask.Input.Count != 2)
        {
            return null;
        }

        NodeProto? scaleNode = null;
        string? maskValue = null;
        for (var i = 0; i < 2; i++)
        {
            var p = graph.GetProducer(addMask.Input[i]);
            if (p is { OpType: "Div" or "Mul" } && IsOnnxDomain(p) && graph.GetInputProducer(p, 0, "MatMul") is not null)
            {
                scaleNode = p;
                maskValue = addMask.Input[1 - i];
            }
        }

        if (scaleNode is null || maskValue is null || !TryGetScalar(graph, scaleNode.Input[1], out var c) || c == 0)
        {
            return null;
        }

        var scale = scaleNode.OpType == "Div" ? 1f / c : c;
        var qk = graph.GetInputProducer(scaleNode, 0, "MatMul")!;
        nodes.UnionWith([addMask, scaleNode, qk]);

        if (!TryMatchMask(graph, maskValue, out var maskSource, out var maskFilter))
        {
            return null;
        }

        var probsReader = SingleConsumer(graph, softmax.Output[0], "MatMul");
        if (probsReader is null || probsReader.Input[0] != softmax.Output[0])
        {
            return null;
        }

        nodes.Add(probsReader);
        var q = TryMatchHead(graph, qk.Input[0], [0, 2, 1, 3], nodes);
        var k = TryMatchHead(graph, qk.Input[1], [0, 2, 3, 1], nodes);
        var v = TryMatchHead(graph, probsReader.Input[1], [0, 2, 1, 3], nodes);
        if (q is null || k is null || v is null || q.Value.Input != k.Value.Input || q.Value.Input != v.Value.Input
            || q.Value.Heads != k.Value.Heads || q.Value.Heads != v.Value.Heads
            || q.Value.HeadSize != k.Value.HeadSize || q.Value.HeadSize != v.Value.HeadSize)
        {
            return null;
        }

        var heads = q.Value.Heads;
        var hidden = heads * q.Value.HeadSize;
        if (!SameWeightShape(graph, q.Value, hidden) || !SameWeightShape(graph, k.Value, hidden) || !SameWeightShape(graph, v.Value, hidden))
        {
            return null;
        }

        // Merge heads: Transpose(0,2,1,3) → Reshape to [B, S, hidden].
        var merge = SingleConsumer(graph, probsReader.Output[0], "Transpose");
        if (merge is null || !HasPerm(merge, [0, 2, 1, 3]))
        {
            // The merge transpose's output is also read by the shape chain of the final Reshape; look among all readers.
            merge = graph.GetConsumers(probsReader.Output[0]).SingleOrDefault(n => n.OpType == "Transpose" && HasPerm(n, [0, 2, 1, 3]));
            if (merge is null)
            {
                return null;
            }
        }

        var reshape = graph.GetConsumers(merge.Output[0]).SingleOrDefault(n => n.OpType == "Reshape" && IsOnnxDomain(n) && n.Input[0] == merge.Output[0] && GetInt(n, "allowzero", 0) == 0);
        if (reshape is null || !TryReadShape(graph, reshape.Input[1], out var outShape) || outShape.Length != 3 || outShape[2] != hidden)
        {
            return null;
        }

        nodes.UnionWith([merge, reshape]);
        if (!AbsorbDeadReaders(graph, nodes, reshape))
        {
            return null;
        }

        return new Match(q.Value.Input, q.Value.Weight, q.Value.Bias, k.Value.Weight, k.Value.Bias, v.Value.Weight, v.Value.Bias, maskSource, maskFilter, scale, (int)heads, (int)hidden, reshape, [.. nodes]);
    }

    private static bool SameWeightShape(OnnxGraph graph, Head head, long hidden) =>
        graph.TryGetConstant(head.Weight, out var w) && w.ElementType == TensorProto.Types.DataType.Float
        && w.Dims.Count == 2 && w.Dims[1] == hidden && VectorLength(graph, head.Bias) == hidden;

    private static bool HasPerm(NodeProto node, long[] perm) =>
        IsOnnxDomain(node) && node.Attribute.FirstOrDefault(a => a.Name == "perm") is { } p && p.Ints.SequenceEqual(perm);

    /// <summary>
    /// Matches <c>Transpose(perm, Reshape(Add(bias, MatMul(input, weight)), [B, S, heads, size]))</c>.
    /// </summary>
    private static Head? TryMatchHead(OnnxGraph graph, string value, long[] perm, HashSet<NodeProto> nodes)
    {
        var transpose = graph.GetProducer(value);
        if (transpose is not { OpType: "Transpose" } || !HasPerm(transpose, perm))
        {
            return null;
        }

        var reshape = graph.GetInputProducer(transpose, 0, "Reshape");
        if (reshape is null || !IsOnnxDomain(reshape) || GetInt(reshape, "allowzero", 0) != 0 || !TryReadShape(graph, reshape.Input[1], out var shape) || shape.Length != 4
            || shape[2] <= 0 || shape[3] <= 0)
        {
            return null;
        }

        var add = graph.GetInputProducer(reshape, 0, "Add");
        if (add is null || !IsOnnxDomain(add) || add.Input.Count != 2)
        {
            return null;
        }

        for (var i = 0; i < 2; i++)
        {
            var bias = add.Input[i];
            var matMul = graph.GetInputProducer(add, 1 - i, "MatMul");
            if (IsFloatVector(graph, bias) && matMul is not null && IsOnnxDomain(matMul) && graph.TryGetConstant(matMul.Input[1], out _)
                && !graph.TryGetConstant(matMul.Input[0], out _))
            {
                nodes.UnionWith([transpose, reshape, add, matMul]);
                return new Head(matMul.Input[0], matMul.Input[1], bias, shape[2], shape[3]);
            }
        }

        return null;
    }

    /// <summary>
    /// Reads a Reshape target shape: a constant, or a <c>Concat</c> whose trailing parts are constants (the leading,
    /// computed ones come back as 0, meaning "keep").
    /// </summary>
    private static bool TryReadShape(OnnxGraph graph, string value, out long[] shape)
    {
        shape = [];
        if (graph.TryGetConstant(value, out var constant))
        {
            return constant.TryReadInt64(out shape);
        }

        var concat = graph.GetProducer(value);
        if (concat is not { OpType: "Concat" } || !IsOnnxDomain(concat))
        {
            return false;
        }

        var parts = new List<long>();
        foreach (var input in concat.Input)
        {
            if (graph.TryGetConstant(input, out var part))
            {
                if (!part.TryReadInt64(out var values))
                {
                    return false;
                }

                parts.AddRange(values);
            }
            else
            {
                parts.Add(0);
            }
        }

        shape = [.. parts];
        return true;
    }

    /// <summary>
    /// Matches the extended padding mask and gives the 2-D mask and the value masked positions get: PyTorch's
    /// <c>Mul(Sub(1, Cast(Unsqueeze(Unsqueeze(mask, 1), 2))), c)</c> (c is −10000 with PyTorch 1.x, <c>finfo.min</c>
    /// with 2.x), or the <c>masked_fill</c> form of later exporters, <c>Where(Cast(m, bool), c, m)</c> with
    /// <c>m = Sub(1, Cast(Unsqueeze(Unsqueeze(mask, 1), 2)))</c>.
    /// </summary>
    private static bool TryMatchMask(OnnxGraph graph, string value, out string mask, out float filter)
    {
        mask = string.Empty;
        filter = 0;
        var producer = graph.GetProducer(value);
        string? inner = null;
        if (producer is { OpType: "Where" } where && IsOnnxDomain(where) && where.Input.Count == 3)
        {
            // Where(Cast(m, bool), c, m): 0/1 in m, so positions where m is 1 (padding) get c and the others m = 0.
            var condition = graph.GetProducer(where.Input[0]);
            if (condition is not { OpType: "Cast" } || !IsOnnxDomain(condition) || GetInt(condition, "to", 0) != (int)TensorProto.Types.DataType.Bool
                || condition.Input[0] != where.Input[2] || !TryGetScalar(graph, where.Input[1], out filter) || filter >= 0)
            {
                return false;
            }

            inner = where.Input[2];
        }
        else if (producer is { OpType: "Mul" } mul && IsOnnxDomain(mul) && mul.Input.Count == 2)
        {
            for (var i = 0; i < 2; i++)
            {
                if (TryGetScalar(graph, mul.Input[i], out filter) && filter < 0)
                {
                    inner = mul.Input[1 - i];
                    break;
                }
            }
        }
        else
        {
            return false;
        }

        var sub = inner is null ? null : graph.GetProducer(inner);
        if (sub is not { OpType: "Sub" } || !IsOnnxDomain(sub) || !IsScalar(graph, sub.Input[0], 1f, 0f))
        {
            return false;
        }

        var current = sub.Input[1];
        var cast = graph.GetProducer(current);
        if (cast is { OpType: "Cast" } && IsOnnxDomain(cast))
        {
            current = cast.Input[0];
        }

        var axes = new List<long>();
        for (var depth = 0; depth < 2; depth++)
        {
            var unsqueeze = graph.GetProducer(current);
            if (unsqueeze is not { OpType: "Unsqueeze" } || !IsOnnxDomain(unsqueeze))
            {
                break;
            }

            long[]? a = unsqueeze.Attribute.FirstOrDefault(x => x.Name == "axes")?.Ints.ToArray();
            if (a is null && unsqueeze.Input.Count > 1 && graph.TryGetConstant(unsqueeze.Input[1], out var t) && t.TryReadInt64(out var read))
            {
                a = read;
            }

            if (a is null)
            {
                return false;
            }

            axes.InsertRange(0, a);
            current = unsqueeze.Input[0];
        }

        axes.Sort();
        if (!axes.SequenceEqual([1L, 2L]))
        {
            return false;
        }

        mask = current;
        return true;
    }

    /// <summary>
    /// Checks that every value the pattern computes is read only inside it (the final output excepted), adding the
    /// shape computations (Shape → Gather → Unsqueeze → Concat) that only feed the pattern.
    /// </summary>
    private static bool AbsorbDeadReaders(OnnxGraph graph, HashSet<NodeProto> nodes, NodeProto output)
    {
        foreach (var node in nodes.ToArray())
        {
            if (ReferenceEquals(node, output))
            {
                continue;
            }

            foreach (var value in node.Output)
            {
                if (value.Length == 0)
                {
                    continue;
                }

                if (graph.IsGraphOutput(value))
                {
                    return false;
                }

                foreach (var reader in graph.GetConsumers(value))
                {
                    if (!nodes.Contains(reader) && !DiesWith(graph, reader, nodes, 0))
                    {
                        return false;
                    }
                }
            }
        }

        return true;
    }

    private static bool DiesWith(OnnxGraph graph, NodeProto node, HashSet<NodeProto> nodes, int depth)
    {
        if (depth > 8 || node.OpType is not ("Shape" or "Gather" or "Unsqueeze" or "Concat" or "Constant" or "Cast" or "Squeeze" or "Slice")
            || !IsOnnxDomain(node))
        {
            return false;
        }

        foreach (var value in node.Output)
        {
            if (value.Length == 0)
            {
                continue;
            }

            if (graph.IsGraphOutput(value))
            {
                return false;
            }

            foreach (var reader in graph.GetConsumers(value))
            {
                if (!nodes.Contains(reader) && !DiesWith(graph, reader, nodes, depth + 1))
                {
                    return false;
                }
            }
        }

        nodes.Add(node);
        return true;
    }

    private readonly record struct Head(string Input, string Weight, string Bias, long Heads, long HeadSize);

    /// <summary>A BERT-style self-attention found at its <c>Softmax</c>.</summary>
    /// <param name="Input">The hidden states the Q, K and V projections share.</param>
    /// <param name="QWeight">The Q projection's weight.</param>
    /// <param name="QBias">The Q projection's bias.</param>
    /// <param name="KWeight">The K projection's weight.</param>
    /// <param name="KBias">The K projection's bias.</param>
    /// <param name="VWeight">The V projection's weight.</param>
    /// <param name="VBias">The V projection's bias.</param>
    /// <param name="MaskSource">The 2-D 0/1 padding mask the additive mask is built from.</param>
    /// <param name="MaskFilter">The value masked positions get (<c>mask_filter_value</c>).</param>
    /// <param name="Scale">The factor applied to <c>Q·Kᵀ</c>.</param>
    /// <param name="Heads">The number of heads.</param>
    /// <param name="Hidden">The hidden size (heads × head size).</param>
    /// <param name="Output">The final <c>Reshape</c>, whose output the fused node takes over.</param>
    /// <param name="Nodes">Every node of the pattern.</param>
    public sealed record Match(
        string Input,
        string QWeight,
        string QBias,
        string KWeight,
        string KBias,
        string VWeight,
        string VBias,
        string MaskSource,
        float MaskFilter,
        float Scale,
        int Heads,
        int Hidden,
        NodeProto Output,
        IReadOnlyList<NodeProto> Nodes);
}
