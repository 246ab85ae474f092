using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>Reads vector columns out of data views, which is what makes lazy views compute.</summary>
internal static class DataViewReader
{
    /// <summary>Reads every row's value of a vector column, forcing each row to be computed; returns the row count.</summary>
    public static int Consume(IDataView view, string column)
    {
        var col = view.Schema[column];
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        var value = default(VBuffer<float>);
        var rows = 0;
        var checksum = 0f;
        while (cursor.MoveNext())
        {
            getter(ref value);
            checksum += value.GetValues()[0];
            rows++;
        }

        GC.KeepAlive(checksum);
        return rows;
    }

    /// <summary>Reads every row's value of a vector column into dense arrays.</summary>
    public static List<T[]> ReadVectors<T>(IDataView view, string column)
    {
        var col = view.Schema[column];
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<T>>(col);
        var value = default(VBuffer<T>);
        var result = new List<T[]>();
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(value.DenseValues().ToArray());
        }

        return result;
    }
}
