using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Pipeline.Internal;

/// <summary>
/// Reads one input column of successive rows into one growing flat buffer and hands out <see cref="RowTensor"/>
/// slices of it, so that a chunk of rows costs no allocation per row once the buffer has grown.
/// </summary>
internal abstract class ColumnReader
{
    public static ColumnReader Create(DataViewSchema.Column column)
    {
        var type = column.Type is VectorDataViewType vector ? vector.ItemType.RawType : column.Type.RawType;
        var isVector = column.Type is VectorDataViewType;
        if (type == typeof(float))
        {
            return new ColumnReader<float>(column, isVector);
        }

        if (type == typeof(long))
        {
            return new ColumnReader<long>(column, isVector);
        }

        if (type == typeof(int))
        {
            return new ColumnReader<int>(column, isVector);
        }

        if (type == typeof(double))
        {
            return new ColumnReader<double>(column, isVector);
        }

        throw new NotSupportedException($"Column '{column.Name}' of type {column.Type} cannot feed a model input.");
    }

    /// <summary>Binds the reader to a row (a cursor or a single row).</summary>
    public abstract void Bind(DataViewRow row);

    /// <summary>Reads the bound row's value and appends it to the buffer.</summary>
    public abstract RowTensor Append();

    /// <summary>Forgets the buffered rows, keeping the buffer for reuse.</summary>
    public abstract void Reset();
}

/// <summary>The typed <see cref="ColumnReader"/>.</summary>
internal sealed class ColumnReader<T> : ColumnReader
    where T : unmanaged
{
    private readonly DataViewSchema.Column _column;
    private readonly bool _isVector;
    private ValueGetter<VBuffer<T>>? _vectorGetter;
    private ValueGetter<T>? _scalarGetter;
    private VBuffer<T> _value;
    private T[] _buffer = new T[256];
    private int _used;

    public ColumnReader(DataViewSchema.Column column, bool isVector)
    {
        _column = column;
        _isVector = isVector;
    }

    public override void Bind(DataViewRow row)
    {
        var column = row.Schema[_column.Index];
        if (_isVector)
        {
            _vectorGetter = row.GetGetter<VBuffer<T>>(column);
        }
        else
        {
            _scalarGetter = row.GetGetter<T>(column);
        }
    }

    public override RowTensor Append()
    {
        if (!_isVector)
        {
            var scalar = default(T);
            _scalarGetter!(ref scalar);
            Ensure(1);
            _buffer[_used] = scalar;
            return RowTensor.FromArray(_buffer, _used++, 1);
        }

        _vectorGetter!(ref _value);
        var length = _value.Length;
        Ensure(length);

        // PERF: densify straight into the shared chunk buffer; no per-row array.
        _value.CopyTo(_buffer.AsSpan(_used, length));
        var tensor = RowTensor.FromArray(_buffer, _used, length);
        _used += length;
        return tensor;
    }

    public override void Reset() => _used = 0;

    private void Ensure(int extra)
    {
        if (_used + extra <= _buffer.Length)
        {
            return;
        }

        // Earlier row tensors keep pointing at the old array, which stays valid until the chunk is consumed.
        var grown = new T[Math.Max(_buffer.Length * 2, _used + extra)];
        _buffer = grown;
        _used = 0;
    }
}
