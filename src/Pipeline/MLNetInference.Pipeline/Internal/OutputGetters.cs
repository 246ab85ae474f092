using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Internal;

/// <summary>Makes the typed ML.NET getters of scored output columns.</summary>
internal static class OutputGetters
{
    public static Delegate Create(ChunkScorer scorer, int slot, DataViewType type, Func<int> currentRow, string columnName)
    {
        return type switch
        {
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(float) => Vector<float>(scorer, slot, currentRow),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(long) => Vector<long>(scorer, slot, currentRow),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(int) => Vector<int>(scorer, slot, currentRow),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(double) => Vector<double>(scorer, slot, currentRow),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(byte) => Vector<byte>(scorer, slot, currentRow),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(sbyte) => Vector<sbyte>(scorer, slot, currentRow),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(bool) => Vector<bool>(scorer, slot, currentRow),
            _ when type.RawType == typeof(float) => Scalar<float>(scorer, slot, currentRow),
            _ when type.RawType == typeof(long) => Scalar<long>(scorer, slot, currentRow),
            _ when type.RawType == typeof(int) => Scalar<int>(scorer, slot, currentRow),
            _ when type.RawType == typeof(double) => Scalar<double>(scorer, slot, currentRow),
            _ => throw new NotSupportedException($"Column '{columnName}' has type {type}, which the scorer cannot produce."),
        };
    }

    private static ValueGetter<VBuffer<T>> Vector<T>(ChunkScorer scorer, int slot, Func<int> currentRow)
        where T : unmanaged
        => (ref VBuffer<T> value) => scorer.CopyOutput(slot, currentRow(), ref value);

    private static ValueGetter<T> Scalar<T>(ChunkScorer scorer, int slot, Func<int> currentRow)
        where T : unmanaged
        => (ref T value) => value = scorer.GetScalar<T>(slot, currentRow());
}
