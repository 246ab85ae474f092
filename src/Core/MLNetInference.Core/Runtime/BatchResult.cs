using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetInference.Core.Runtime.Internal;

namespace MLNetInference.Core.Runtime;

/// <summary>
/// The outputs of a <see cref="BatchRunner.Run"/> call, sliced per row, with padding removed from axes that
/// follow a variable-length input. Owns the ONNX Runtime output tensors until disposed.
/// </summary>
public sealed class BatchResult : IDisposable
{
    private readonly BatchRunner _runner;
    private readonly int[] _lengths;
    private readonly int _keyCount;
    private readonly List<Segment> _segments = [];
    private bool _disposed;

    internal BatchResult(BatchRunner runner, int rowCount, int[] lengths, int keyCount)
    {
        _runner = runner;
        RowCount = rowCount;
        _lengths = lengths;
        _keyCount = keyCount;
    }

    /// <summary>Gets the number of rows.</summary>
    public int RowCount { get; }

    /// <summary>Gets the number of ONNX Runtime calls that produced this result.</summary>
    public int RunCount => _segments.Count;

    /// <summary>Gets the output names, by output index.</summary>
    public IReadOnlyList<string> OutputNames => _runner.OutputNames;

    /// <summary>Gets a row's shape for an output, batch dimension excluded and padding removed.</summary>
    /// <param name="output">The output index.</param>
    /// <param name="row">The row index.</param>
    /// <returns>The row's dimensions.</returns>
    public int[] GetRowShape(int output, int row)
    {
        var full = Locate(row).Segment.Shapes[output];
        var shape = new int[full.Length - 1];
        FillRowExtents(output, row, full, shape);
        return shape;
    }

    /// <summary>Gets the number of values in a row's slice of an output, padding removed.</summary>
    /// <param name="output">The output index.</param>
    /// <param name="row">The row index.</param>
    /// <returns>The number of values.</returns>
    public int GetRowLength(int output, int row)
    {
        var (segment, _) = Locate(row);
        var full = segment.Shapes[output];
        Span<int> extents = stackalloc int[full.Length - 1];
        FillRowExtents(output, row, full, extents);
        var size = 1;
        foreach (var e in extents)
        {
            size *= e;
        }

        return size;
    }

    /// <summary>Copies a row's slice of an output, padding removed, into <paramref name="destination"/>.</summary>
    /// <typeparam name="T">The output's element type.</typeparam>
    /// <param name="output">The output index.</param>
    /// <param name="row">The row index.</param>
    /// <param name="destination">Receives <see cref="GetRowLength"/> values.</param>
    /// <returns>The number of values copied.</returns>
    public int CopyRow<T>(int output, int row, Span<T> destination)
        where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (segment, local) = Locate(row);
        var value = segment.Outputs[output];
        CheckType<T>(value, output);
        var full = segment.Shapes[output];
        var rank = full.Length - 1;
        Span<int> extents = stackalloc int[rank];
        FillRowExtents(output, row, full, extents);

        // Strides of the padded row; the un-padded slice is copied in contiguous blocks.
        Span<long> strides = stackalloc long[Math.Max(1, rank)];
        long rowStride = 1;
        for (var a = rank - 1; a >= 0; a--)
        {
            strides[a] = rowStride;
            rowStride *= full[a + 1];
        }

        var source = value.GetTensorDataAsSpan<T>().Slice((int)(local * rowStride), (int)rowStride);
        var last = -1;
        for (var a = 0; a < rank; a++)
        {
            if (extents[a] != full[a + 1])
            {
                last = a;
            }
        }

        if (last < 0)
        {
            source.CopyTo(destination);
            return source.Length;
        }

        var block = (int)(extents[last] * strides[last]);
        Span<int> index = stackalloc int[Math.Max(1, last)];
        index.Clear();
        var written = 0;
        while (true)
        {
            long offset = 0;
            for (var a = 0; a < last; a++)
            {
                offset += index[a] * strides[a];
            }

            source.Slice((int)offset, block).CopyTo(destination.Slice(written, block));
            written += block;
            var axis = last - 1;
            while (axis >= 0)
            {
                if (++index[axis] < extents[axis])
                {
                    break;
                }

                index[axis] = 0;
                axis--;
            }

            if (axis < 0)
            {
                return written;
            }
        }
    }

    /// <summary>Returns a row's slice of an output, padding removed, as a new array.</summary>
    /// <typeparam name="T">The output's element type.</typeparam>
    /// <param name="output">The output index.</param>
    /// <param name="row">The row index.</param>
    /// <returns>The row's values.</returns>
    public T[] GetRowArray<T>(int output, int row)
        where T : unmanaged
    {
        var values = new T[GetRowLength(output, row)];
        CopyRow<T>(output, row, values);
        return values;
    }

    /// <summary>Gets the output tensor of the ONNX Runtime call that holds a row, with that row's index in it.</summary>
    /// <param name="output">The output index.</param>
    /// <param name="row">The row index.</param>
    /// <returns>The batch tensor (owned by this result) and the row's position in it.</returns>
    public (OrtValue Tensor, int RowInTensor) GetBatchTensor(int output, int row)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (segment, local) = Locate(row);
        return (segment.Outputs[output], local);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var segment in _segments)
        {
            segment.Outputs.Dispose();
        }

        _segments.Clear();
    }

    internal void AddSegment(int firstRow, int count, IDisposableReadOnlyCollection<OrtValue> outputs)
    {
        var shapes = new long[outputs.Count][];
        for (var o = 0; o < outputs.Count; o++)
        {
            shapes[o] = outputs[o].GetTensorTypeAndShape().Shape;
            if (shapes[o].Length == 0 || shapes[o][0] != count)
            {
                outputs.Dispose();
                throw new InferenceException(
                    _runner.Model.ModelName,
                    $"Output '{_runner.OutputNames[o]}' of model '{_runner.Model.ModelName}' has shape [{string.Join(", ", shapes[o])}], which does not lead with the batch size {count}; it cannot be split per row.");
            }
        }

        var padded = new int[_keyCount];
        for (var r = firstRow; r < firstRow + count; r++)
        {
            for (var k = 0; k < _keyCount; k++)
            {
                padded[k] = Math.Max(padded[k], _lengths[(r * _keyCount) + k]);
            }
        }

        _segments.Add(new Segment(firstRow, count, outputs, shapes, padded));
    }

    private void FillRowExtents(int output, int row, long[] full, Span<int> extents)
    {
        var plan = _runner.GetOutputPlan(output);
        for (var a = 0; a < extents.Length; a++)
        {
            var size = (int)full[a + 1];
            var key = a < plan.AxisLengthKeys.Length ? plan.AxisLengthKeys[a] : -1;
            if (key >= 0)
            {
                var rowLength = _lengths[(row * _keyCount) + key];
                if (plan.AxisIsAmbiguous[a] && size != Locate(row).Segment.PaddedLengths[key])
                {
                    rowLength = size;
                }

                size = Math.Min(size, rowLength);
            }

            extents[a] = size;
        }
    }

    private (Segment Segment, int Local) Locate(int row)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, RowCount);

        // Segments are equal-sized except the last, so the index is direct.
        var size = _segments[0].Count;
        var s = Math.Min(row / size, _segments.Count - 1);
        var segment = _segments[s];
        return (segment, row - segment.FirstRow);
    }

    private void CheckType<T>(OrtValue value, int output)
    {
        var type = value.GetTensorTypeAndShape().ElementDataType;
        var ok = type switch
        {
            TensorElementType.Float => typeof(T) == typeof(float),
            TensorElementType.Int64 => typeof(T) == typeof(long),
            TensorElementType.Int32 => typeof(T) == typeof(int),
            TensorElementType.Double => typeof(T) == typeof(double),
            TensorElementType.UInt8 => typeof(T) == typeof(byte),
            TensorElementType.Int8 => typeof(T) == typeof(sbyte),
            TensorElementType.Bool => typeof(T) == typeof(bool),
            TensorElementType.Int16 => typeof(T) == typeof(short),
            TensorElementType.UInt16 => typeof(T) == typeof(ushort),
            TensorElementType.UInt32 => typeof(T) == typeof(uint),
            TensorElementType.UInt64 => typeof(T) == typeof(ulong),
            TensorElementType.Float16 => typeof(T) == typeof(Float16),
            _ => false,
        };
        if (!ok)
        {
            throw new InvalidOperationException($"Output '{_runner.OutputNames[output]}' holds {type} values; it cannot be read as {typeof(T).Name}.");
        }
    }

    private sealed record Segment(int FirstRow, int Count, IDisposableReadOnlyCollection<OrtValue> Outputs, long[][] Shapes, int[] PaddedLengths);
}
