using Google.Protobuf;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Graph;

namespace MLNetInference.Optimizers.Passes.Internal;

/// <summary>
/// A small evaluator for the integer ops of shape computations, over constants and the graph's declared static dims.
/// Every method answers <see langword="null"/> when the result is not known before the model runs.
/// </summary>
internal static class ShapeEvaluator
{
    /// <summary>Evaluates <paramref name="node"/> into an (unnamed) int64/int32/float tensor, or <see langword="null"/>.</summary>
    public static TensorProto? TryEvaluate(OnnxGraph graph, NodeProto node, int maxElements)
    {
        if (!OpsetInfo.IsOnnxDomain(node))
        {
            return null;
        }

        var result = node.OpType switch
        {
            "Shape" => Shape(graph, node),
            "Gather" => Gather(graph, node),
            "Unsqueeze" => Unsqueeze(graph, node),
            "Squeeze" => Squeeze(graph, node),
            "Concat" => Concat(graph, node),
            "Slice" => Slice(graph, node),
            "Add" or "Sub" or "Mul" or "Div" => Arithmetic(graph, node),
            "Cast" => Cast(graph, node, maxElements),
            _ => null,
        };
        return result is { } r && r.Values.Length <= maxElements && r.Dims.All(d => d >= 0) ? ToTensor(r) : (node.OpType == "Cast" ? CastFloat(graph, node, maxElements) : null);
    }

    /// <summary>The dims of <paramref name="value"/> where known (-1 where symbolic), or <see langword="null"/> when its rank is unknown.</summary>
    public static long[]? StaticDims(OnnxGraph graph, string value)
    {
        if (graph.TryGetConstant(value, out var constant))
        {
            return [.. constant.Dims];
        }

        var info = graph.Proto.ValueInfo.FirstOrDefault(v => v.Name == value)
            ?? graph.Proto.Input.FirstOrDefault(v => v.Name == value)
            ?? graph.Proto.Output.FirstOrDefault(v => v.Name == value);
        if (info?.Type?.TensorType?.Shape is not { } shape)
        {
            return null;
        }

        return [.. shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0 ? d.DimValue : -1)];
    }

    private static IntTensor? Shape(OnnxGraph graph, NodeProto node)
    {
        if (node.Input.Count != 1 || StaticDims(graph, node.Input[0]) is not { } dims)
        {
            return null;
        }

        var (start, end) = ShapeRange(node, dims.Length);
        var slice = dims[start..end];
        return slice.Any(d => d < 0) ? null : new IntTensor([slice.Length], slice, IsInt32: false);
    }

    private static (int Start, int End) ShapeRange(NodeProto node, int rank)
    {
        var start = (int)Attribute(node, "start", 0);
        var end = (int)Attribute(node, "end", rank);
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        return (start, Math.Max(start, end));
    }

    private static IntTensor? Gather(OnnxGraph graph, NodeProto node)
    {
        if (node.Input.Count != 2 || Attribute(node, "axis", 0) != 0 || Read(graph, node.Input[1]) is not { } indices || indices.Dims.Length > 1)
        {
            return null;
        }

        // Gather of fixed dims from Shape(x) where only some of x's dims are static.
        var data = Read(graph, node.Input[0]);
        if (data is null && graph.GetProducer(node.Input[0]) is { OpType: "Shape", Input.Count: 1 } shape && StaticDims(graph, shape.Input[0]) is { } dims)
        {
            var (start, end) = ShapeRange(shape, dims.Length);
            data = new IntTensor([end - start], dims[start..end], IsInt32: false);
        }

        if (data is null || data.Dims.Length != 1)
        {
            return null;
        }

        var values = new long[indices.Values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var index = indices.Values[i] < 0 ? indices.Values[i] + data.Values.Length : indices.Values[i];
            if (index < 0 || index >= data.Values.Length || data.Values[index] < 0)
            {
                return null;
            }

            values[i] = data.Values[index];
        }

        return new IntTensor(indices.Dims, values, data.IsInt32);
    }

    private static IntTensor? Unsqueeze(OnnxGraph graph, NodeProto node)
    {
        if (Read(graph, node.Input[0]) is not { } data || Axes(graph, node) is not { } axes)
        {
            return null;
        }

        var rank = data.Dims.Length + axes.Length;
        var normalized = axes.Select(a => a < 0 ? a + rank : a).ToHashSet();
        if (normalized.Count != axes.Length || normalized.Any(a => a < 0 || a >= rank))
        {
            return null;
        }

        var dims = new List<long>();
        var source = 0;
        for (var i = 0; i < rank; i++)
        {
            dims.Add(normalized.Contains(i) ? 1 : data.Dims[source++]);
        }

        return data with { Dims = [.. dims] };
    }

    private static IntTensor? Squeeze(OnnxGraph graph, NodeProto node)
    {
        if (Read(graph, node.Input[0]) is not { } data)
        {
            return null;
        }

        var axes = Axes(graph, node);
        if (axes is null && (node.Input.Count > 1 && node.Input[1].Length > 0))
        {
            return null;
        }

        var rank = data.Dims.Length;
        var drop = axes is null
            ? Enumerable.Range(0, rank).Where(i => data.Dims[i] == 1).ToHashSet()
            : axes.Select(a => (int)(a < 0 ? a + rank : a)).ToHashSet();
        if (drop.Any(a => a < 0 || a >= rank || data.Dims[a] != 1))
        {
            return null;
        }

        return data with { Dims = [.. Enumerable.Range(0, rank).Where(i => !drop.Contains(i)).Select(i => data.Dims[i])] };
    }

    private static IntTensor? Concat(OnnxGraph graph, NodeProto node)
    {
        if (node.Input.Count == 0)
        {
            return null;
        }

        var parts = new List<IntTensor>();
        foreach (var input in node.Input)
        {
            if (Read(graph, input) is not { Dims.Length: 1 } part)
            {
                return null;
            }

            parts.Add(part);
        }

        if (parts.Any(p => p.IsInt32 != parts[0].IsInt32))
        {
            return null;
        }

        long[] values = [.. parts.SelectMany(p => p.Values)];
        return new IntTensor([values.Length], values, parts[0].IsInt32);
    }

    private static IntTensor? Slice(OnnxGraph graph, NodeProto node)
    {
        if (node.Input.Count < 3 || Read(graph, node.Input[0]) is not { Dims.Length: 1 } data
            || Read(graph, node.Input[1]) is not { Values.Length: 1 } starts || Read(graph, node.Input[2]) is not { Values.Length: 1 } ends)
        {
            return null;
        }

        if (node.Input.Count > 3 && node.Input[3].Length > 0 && Read(graph, node.Input[3]) is not { Values: [0 or -1] })
        {
            return null;
        }

        var step = 1L;
        if (node.Input.Count > 4 && node.Input[4].Length > 0)
        {
            if (Read(graph, node.Input[4]) is not { Values: [var s] } || s == 0)
            {
                return null;
            }

            step = s;
        }

        var length = data.Values.Length;
        var values = new List<long>();
        if (step > 0)
        {
            var start = Math.Clamp(starts.Values[0] < 0 ? starts.Values[0] + length : starts.Values[0], 0, length);
            var end = Math.Clamp(ends.Values[0] < 0 ? ends.Values[0] + length : ends.Values[0], 0, length);
            for (var i = start; i < end; i += step)
            {
                values.Add(data.Values[i]);
            }
        }
        else
        {
            var start = Math.Clamp(starts.Values[0] < 0 ? starts.Values[0] + length : starts.Values[0], -1, length - 1);
            var end = Math.Clamp(ends.Values[0] < 0 ? ends.Values[0] + length : ends.Values[0], -1, length - 1);
            for (var i = start; i > end; i += step)
            {
                values.Add(data.Values[i]);
            }
        }

        return new IntTensor([values.Count], [.. values], data.IsInt32);
    }

    private static IntTensor? Arithmetic(OnnxGraph graph, NodeProto node)
    {
        if (node.Input.Count != 2 || Read(graph, node.Input[0]) is not { } a || Read(graph, node.Input[1]) is not { } b || a.IsInt32 != b.IsInt32)
        {
            return null;
        }

        // Elementwise over equal shapes, or with one side a single value.
        IntTensor shapeOf;
        if (a.Dims.SequenceEqual(b.Dims))
        {
            shapeOf = a;
        }
        else if (b.Values.Length == 1 && b.Dims.Length <= a.Dims.Length)
        {
            shapeOf = a;
        }
        else if (a.Values.Length == 1 && a.Dims.Length <= b.Dims.Length)
        {
            shapeOf = b;
        }
        else
        {
            return null;
        }

        var values = new long[shapeOf.Values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var x = a.Values[a.Values.Length == 1 ? 0 : i];
            var y = b.Values[b.Values.Length == 1 ? 0 : i];
            switch (node.OpType)
            {
                case "Add":
                    values[i] = x + y;
                    break;
                case "Sub":
                    values[i] = x - y;
                    break;
                case "Mul":
                    values[i] = x * y;
                    break;
                default:
                    if (y == 0)
                    {
                        return null;
                    }

                    // ONNX integer Div truncates toward zero, as C# does.
                    values[i] = x / y;
                    break;
            }
        }

        return new IntTensor(shapeOf.Dims, values, a.IsInt32);
    }

    private static IntTensor? Cast(OnnxGraph graph, NodeProto node, int maxElements)
    {
        _ = maxElements;
        var to = (TensorProto.Types.DataType)Attribute(node, "to", 0);
        if (to is not (TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32) || Read(graph, node.Input[0]) is not { } data)
        {
            return null;
        }

        return to == TensorProto.Types.DataType.Int32
            ? (data.Values.All(v => v is >= int.MinValue and <= int.MaxValue) ? data with { IsInt32 = true } : null)
            : data with { IsInt32 = false };
    }

    /// <summary>Cast of an integer constant to float (for example a sequence length turned into a scale).</summary>
    private static TensorProto? CastFloat(OnnxGraph graph, NodeProto node, int maxElements)
    {
        if (node.OpType != "Cast" || (TensorProto.Types.DataType)Attribute(node, "to", 0) != TensorProto.Types.DataType.Float
            || Read(graph, node.Input[0]) is not { } data || data.Values.Length > maxElements)
        {
            return null;
        }

        return TensorData.FromFloat(string.Empty, data.Dims, [.. data.Values.Select(v => (float)v)]);
    }

    private static long[]? Axes(OnnxGraph graph, NodeProto node)
    {
        if (node.Attribute.FirstOrDefault(a => a.Name == "axes") is { } attribute)
        {
            return [.. attribute.Ints];
        }

        return node.Input.Count > 1 && node.Input[1].Length > 0 && Read(graph, node.Input[1]) is { Dims.Length: 1 } axes ? axes.Values : null;
    }

    private static IntTensor? Read(OnnxGraph graph, string value)
    {
        if (value.Length == 0 || !graph.TryGetConstant(value, out var tensor) || tensor.ElementCount > 4096)
        {
            return null;
        }

        if (tensor.ElementType is not (TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32) || !tensor.TryReadInt64(out var values))
        {
            return null;
        }

        return new IntTensor([.. tensor.Dims], values, tensor.ElementType == TensorProto.Types.DataType.Int32);
    }

    private static long Attribute(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    private static TensorProto ToTensor(IntTensor result)
    {
        if (!result.IsInt32)
        {
            return TensorData.FromInt64(string.Empty, result.Dims, result.Values);
        }

        var bytes = new byte[result.Values.Length * 4];
        for (var i = 0; i < result.Values.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), (int)result.Values[i]);
        }

        var tensor = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int32, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(result.Dims);
        return tensor;
    }

    /// <summary>An integer tensor being evaluated: its dims, values, and whether it is int32 (else int64).</summary>
    private sealed record IntTensor(long[] Dims, long[] Values, bool IsInt32);
}
