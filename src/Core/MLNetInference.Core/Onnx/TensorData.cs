using System.Buffers.Binary;
using Google.Protobuf;
using MLNetInference.Core.Onnx.Proto;

namespace MLNetInference.Core.Onnx;

/// <summary>Reads and writes the values of ONNX <see cref="TensorProto"/>s.</summary>
public static class TensorData
{
    /// <summary>Reads an INT64 or INT32 tensor's values as 64-bit integers.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="values">The values, in row-major order.</param>
    /// <returns><see langword="false"/> when the tensor holds another element type or external data.</returns>
    public static bool TryReadInt64(TensorProto tensor, out long[] values)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        values = [];
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            return false;
        }

        switch ((TensorProto.Types.DataType)tensor.DataType)
        {
            case TensorProto.Types.DataType.Int64:
                if (!tensor.RawData.IsEmpty)
                {
                    var raw = tensor.RawData.Span;
                    values = new long[raw.Length / 8];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = BinaryPrimitives.ReadInt64LittleEndian(raw.Slice(i * 8, 8));
                    }
                }
                else
                {
                    values = [.. tensor.Int64Data];
                }

                return true;
            case TensorProto.Types.DataType.Int32:
                if (!tensor.RawData.IsEmpty)
                {
                    var raw = tensor.RawData.Span;
                    values = new long[raw.Length / 4];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = BinaryPrimitives.ReadInt32LittleEndian(raw.Slice(i * 4, 4));
                    }
                }
                else
                {
                    values = new long[tensor.Int32Data.Count];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = tensor.Int32Data[i];
                    }
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>Reads a FLOAT tensor's values.</summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="values">The values, in row-major order.</param>
    /// <returns><see langword="false"/> when the tensor holds another element type or external data.</returns>
    public static bool TryReadFloat(TensorProto tensor, out float[] values)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        values = [];
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External
            || (TensorProto.Types.DataType)tensor.DataType != TensorProto.Types.DataType.Float)
        {
            return false;
        }

        if (!tensor.RawData.IsEmpty)
        {
            var raw = tensor.RawData.Span;
            values = new float[raw.Length / 4];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i * 4, 4));
            }
        }
        else
        {
            values = [.. tensor.FloatData];
        }

        return true;
    }

    /// <summary>Creates a FLOAT tensor stored as raw little-endian bytes.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="dims">Its shape.</param>
    /// <param name="values">Its values, in row-major order.</param>
    /// <returns>The tensor.</returns>
    public static TensorProto FromFloat(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4, 4), values[i]);
        }

        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }

    /// <summary>Creates an INT64 tensor stored as raw little-endian bytes.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="dims">Its shape.</param>
    /// <param name="values">Its values, in row-major order.</param>
    /// <returns>The tensor.</returns>
    public static TensorProto FromInt64(string name, long[] dims, ReadOnlySpan<long> values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8, 8), values[i]);
        }

        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        return tensor;
    }
}
