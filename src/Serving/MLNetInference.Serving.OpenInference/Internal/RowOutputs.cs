using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>One row's outputs read out of a finished batch: a flat array and the row's shape per output.</summary>
internal sealed class RowOutputs
{
    private RowOutputs(Array[] values, int[][] shapes)
    {
        Values = values;
        Shapes = shapes;
    }

    public Array[] Values { get; }

    public int[][] Shapes { get; }

    public static RowOutputs Read(BatchResult result, int row, TensorDataType[] types)
    {
        var values = new Array[types.Length];
        var shapes = new int[types.Length][];
        for (var o = 0; o < types.Length; o++)
        {
            shapes[o] = result.GetRowShape(o, row);
            values[o] = types[o] switch
            {
                TensorDataType.Bool => result.GetRowArray<bool>(o, row),
                TensorDataType.UInt8 => result.GetRowArray<byte>(o, row),
                TensorDataType.UInt16 => result.GetRowArray<ushort>(o, row),
                TensorDataType.UInt32 => result.GetRowArray<uint>(o, row),
                TensorDataType.UInt64 => result.GetRowArray<ulong>(o, row),
                TensorDataType.Int8 => result.GetRowArray<sbyte>(o, row),
                TensorDataType.Int16 => result.GetRowArray<short>(o, row),
                TensorDataType.Int32 => result.GetRowArray<int>(o, row),
                TensorDataType.Int64 => result.GetRowArray<long>(o, row),
                TensorDataType.Fp16 => ToHalf(result.GetRowArray<Float16>(o, row)),
                TensorDataType.Fp32 => result.GetRowArray<float>(o, row),
                TensorDataType.Fp64 => result.GetRowArray<double>(o, row),
                _ => throw new NotSupportedException($"Output '{result.OutputNames[o]}' holds strings, which the batch runner does not read."),
            };
        }

        return new RowOutputs(values, shapes);
    }

    // ONNX Runtime's Float16 and .NET's Half are the same IEEE binary16 bits.
    private static Half[] ToHalf(Float16[] values) => MemoryMarshal.Cast<Float16, Half>(values).ToArray();

    /// <summary>Stacks every row's output <paramref name="output"/> into one tensor of shape [rows, ...row shape].</summary>
    public static InferTensor Stack(TensorSpec spec, int output, RowOutputs[] rows)
    {
        var first = rows[0].Shapes[output];
        var width = rows[0].Values[output].Length;
        for (var r = 1; r < rows.Length; r++)
        {
            if (!rows[r].Shapes[output].AsSpan().SequenceEqual(first))
            {
                throw new InvalidOperationException($"Output '{spec.Name}' has different shapes in rows 0 and {r} ([{string.Join(", ", first)}] and [{string.Join(", ", rows[r].Shapes[output])}]); it cannot be stacked into one tensor.");
            }
        }

        var data = spec.DataType.Allocate(width * rows.Length);
        for (var r = 0; r < rows.Length; r++)
        {
            Array.Copy(rows[r].Values[output], 0, data, r * width, width);
        }

        var shape = new long[first.Length + 1];
        shape[0] = rows.Length;
        for (var a = 0; a < first.Length; a++)
        {
            shape[a + 1] = first[a];
        }

        return new InferTensor(spec.Name, spec.DataType, shape, data);
    }
}
