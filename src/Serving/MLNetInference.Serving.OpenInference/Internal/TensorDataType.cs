using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetInference.Serving.OpenInference.Internal;

/// <summary>The Open Inference Protocol's tensor datatypes.</summary>
internal enum TensorDataType
{
    Bool,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Int8,
    Int16,
    Int32,
    Int64,
    Fp16,
    Fp32,
    Fp64,
    Bytes,
}

/// <summary>Names, element sizes and .NET types of <see cref="TensorDataType"/>.</summary>
internal static class TensorDataTypes
{
    private static readonly string[] Names = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"];

    public static string Name(this TensorDataType type) => Names[(int)type];

    public static bool TryParse(string? name, out TensorDataType type)
    {
        var index = name is null ? -1 : Array.IndexOf(Names, name);
        type = (TensorDataType)Math.Max(0, index);
        return index >= 0;
    }

    /// <summary>The size of one element in bytes; 0 for BYTES, whose elements carry their own length.</summary>
    public static int ElementSize(this TensorDataType type) => type switch
    {
        TensorDataType.Bool or TensorDataType.UInt8 or TensorDataType.Int8 => 1,
        TensorDataType.UInt16 or TensorDataType.Int16 or TensorDataType.Fp16 => 2,
        TensorDataType.UInt32 or TensorDataType.Int32 or TensorDataType.Fp32 => 4,
        TensorDataType.UInt64 or TensorDataType.Int64 or TensorDataType.Fp64 => 8,
        _ => 0,
    };

    /// <summary>The array type that holds a tensor of this datatype (BYTES: one byte array per element).</summary>
    public static Type ElementClrType(this TensorDataType type) => type switch
    {
        TensorDataType.Bool => typeof(bool),
        TensorDataType.UInt8 => typeof(byte),
        TensorDataType.UInt16 => typeof(ushort),
        TensorDataType.UInt32 => typeof(uint),
        TensorDataType.UInt64 => typeof(ulong),
        TensorDataType.Int8 => typeof(sbyte),
        TensorDataType.Int16 => typeof(short),
        TensorDataType.Int32 => typeof(int),
        TensorDataType.Int64 => typeof(long),
        TensorDataType.Fp16 => typeof(Half),
        TensorDataType.Fp32 => typeof(float),
        TensorDataType.Fp64 => typeof(double),
        _ => typeof(byte[]),
    };

    /// <summary>Allocates an array of <paramref name="count"/> elements of this datatype.</summary>
    public static Array Allocate(this TensorDataType type, int count) => Array.CreateInstance(type.ElementClrType(), count);

    /// <summary>The datatype of an ONNX element type, or <see langword="null"/> when the protocol has none.</summary>
    public static TensorDataType? FromOnnx(TensorElementType type) => type switch
    {
        TensorElementType.Bool => TensorDataType.Bool,
        TensorElementType.UInt8 => TensorDataType.UInt8,
        TensorElementType.UInt16 => TensorDataType.UInt16,
        TensorElementType.UInt32 => TensorDataType.UInt32,
        TensorElementType.UInt64 => TensorDataType.UInt64,
        TensorElementType.Int8 => TensorDataType.Int8,
        TensorElementType.Int16 => TensorDataType.Int16,
        TensorElementType.Int32 => TensorDataType.Int32,
        TensorElementType.Int64 => TensorDataType.Int64,
        TensorElementType.Float16 => TensorDataType.Fp16,
        TensorElementType.Float => TensorDataType.Fp32,
        TensorElementType.Double => TensorDataType.Fp64,
        TensorElementType.String => TensorDataType.Bytes,
        _ => null,
    };

    /// <summary>The datatype of a .NET element type (a string member is BYTES), or <see langword="null"/>.</summary>
    public static TensorDataType? FromClr(Type type)
    {
        if (type == typeof(string) || type == typeof(byte[]))
        {
            return TensorDataType.Bytes;
        }

        for (var t = TensorDataType.Bool; t < TensorDataType.Bytes; t++)
        {
            if (t.ElementClrType() == type)
            {
                return t;
            }
        }

        return null;
    }
}
