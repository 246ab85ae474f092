using MLNetInference.Core;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core.Onnx;
using MLNetInference.Core.Onnx.Proto;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Pipeline.Scoring;

/// <summary>
/// Turns the rows of an <see cref="IDataView"/> into calibration samples for static quantization: one sample per row,
/// batch 1, each model input read from its column (see <see cref="OnnxBatchScoringOptions.InputColumns"/>) and shaped
/// as the model declares it, the one free axis besides the batch taking the row's length. Rows are read lazily, so
/// calibration streams through the data.
/// </summary>
public static class DataViewCalibration
{
    /// <summary>Reads up to <paramref name="maxRows"/> rows of <paramref name="data"/> as calibration samples for <paramref name="model"/>.</summary>
    /// <param name="data">The data, with one column per model input.</param>
    /// <param name="model">The serialized model the samples feed.</param>
    /// <param name="inputColumns">Model input name → column name; an input not listed reads the column of its own name.</param>
    /// <param name="maxRows">The most rows read.</param>
    /// <returns>The samples, read when enumerated.</returns>
    /// <exception cref="InvalidInputException">A column is missing or cannot feed its input.</exception>
    public static IEnumerable<IReadOnlyDictionary<string, SampleTensor>> Read(IDataView data, byte[] model, IDictionary<string, string>? inputColumns = null, int maxRows = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        var proto = OnnxModelIO.Parse(model);
        var initializers = new HashSet<string>(proto.Graph.Initializer.Select(i => i.Name), StringComparer.Ordinal);
        var inputs = new List<(string Name, DataViewSchema.Column Column, TensorProto.Types.DataType Type, long[] Dims)>();
        foreach (var input in proto.Graph.Input.Where(i => !initializers.Contains(i.Name)))
        {
            var columnName = inputColumns is not null && inputColumns.TryGetValue(input.Name, out var mapped) ? mapped : input.Name;
            var column = data.Schema.GetColumnOrNull(columnName)
                ?? throw new InvalidInputException(columnName, $"Column '{columnName}', which feeds model input '{input.Name}', is not in the calibration data.");
            var tensorType = input.Type?.TensorType ?? throw new InvalidInputException(columnName, $"Model input '{input.Name}' is not a tensor.");
            var dims = tensorType.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1).ToArray() ?? [-1];
            inputs.Add((input.Name, column, (TensorProto.Types.DataType)tensorType.ElemType, dims));
        }

        return ReadRows(data, inputs, maxRows);
    }

    private static IEnumerable<IReadOnlyDictionary<string, SampleTensor>> ReadRows(
        IDataView data,
        List<(string Name, DataViewSchema.Column Column, TensorProto.Types.DataType Type, long[] Dims)> inputs,
        int maxRows)
    {
        using var cursor = data.GetRowCursor(inputs.Select(i => i.Column));
        var readers = inputs.Select(i => RowReader(cursor, i.Column, i.Type, i.Name)).ToArray();
        for (var row = 0; row < maxRows && cursor.MoveNext(); row++)
        {
            var sample = new Dictionary<string, SampleTensor>(StringComparer.Ordinal);
            for (var i = 0; i < inputs.Count; i++)
            {
                var values = readers[i]();
                sample[inputs[i].Name] = new SampleTensor(values, Shape(inputs[i].Dims, values.Length, inputs[i].Column.Name));
            }

            yield return sample;
        }
    }

    /// <summary>The declared shape with batch 1 and the one other free axis holding whatever the row's length leaves.</summary>
    private static long[] Shape(long[] dims, int length, string column)
    {
        var shape = (long[])dims.Clone();
        if (shape.Length > 0 && shape[0] < 0)
        {
            shape[0] = 1;
        }

        var known = shape.Where(d => d >= 0).Aggregate(1L, (a, b) => a * b);
        var free = Array.FindAll(Enumerable.Range(0, shape.Length).ToArray(), i => shape[i] < 0);
        if (free.Length > 1)
        {
            throw new InvalidInputException(column, $"Column '{column}' feeds an input with {free.Length} free axes besides the batch; calibration can fill only one.");
        }

        if (free.Length == 1)
        {
            shape[free[0]] = known == 0 ? 0 : length / known;
        }

        var total = shape.Aggregate(1L, (a, b) => a * b);
        return total == length
            ? shape
            : throw new InvalidInputException(column, $"A row of column '{column}' holds {length} values, which do not fit the input shape [{string.Join(", ", dims)}].");
    }

    private static Func<Array> RowReader(DataViewRowCursor cursor, DataViewSchema.Column column, TensorProto.Types.DataType type, string input)
    {
        var item = column.Type is VectorDataViewType vector ? vector.ItemType.RawType : column.Type.RawType;
        Func<double[]>? wide = null;
        Func<long[]>? integers = null;
        if (item == typeof(float))
        {
            var read = Getter<float>(cursor, column);
            wide = () => Array.ConvertAll(read(), v => (double)v);
            if (type == TensorProto.Types.DataType.Float)
            {
                return () => read();
            }
        }
        else if (item == typeof(double))
        {
            wide = Getter<double>(cursor, column);
        }
        else if (item == typeof(long))
        {
            integers = Getter<long>(cursor, column);
        }
        else if (item == typeof(int))
        {
            var read = Getter<int>(cursor, column);
            integers = () => Array.ConvertAll(read(), v => (long)v);
        }

        return (type, wide, integers) switch
        {
            (TensorProto.Types.DataType.Float, not null, _) => () => Array.ConvertAll(wide!(), v => (float)v),
            (TensorProto.Types.DataType.Int64, _, not null) => () => integers!(),
            (TensorProto.Types.DataType.Int32, _, not null) => () => Array.ConvertAll(integers!(), v => checked((int)v)),
            _ => throw new InvalidInputException(column.Name, $"Column '{column.Name}' ({column.Type}) cannot feed model input '{input}' of type {type} for calibration."),
        };
    }

    private static Func<T[]> Getter<T>(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is VectorDataViewType)
        {
            var getter = cursor.GetGetter<VBuffer<T>>(column);
            var buffer = default(VBuffer<T>);
            return () =>
            {
                getter(ref buffer);
                return buffer.DenseValues().ToArray();
            };
        }

        var scalar = cursor.GetGetter<T>(column);
        return () =>
        {
            var value = default(T)!;
            scalar(ref value);
            return [value];
        };
    }
}
