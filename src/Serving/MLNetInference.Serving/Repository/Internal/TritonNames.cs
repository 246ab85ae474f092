namespace MLNetInference.Serving.Repository.Internal;

/// <summary>The text names of Triton's enums in a model configuration.</summary>
internal static class TritonNames
{
    public static string DataType(TritonDataType type) => type switch
    {
        TritonDataType.Bool => "TYPE_BOOL",
        TritonDataType.UInt8 => "TYPE_UINT8",
        TritonDataType.UInt16 => "TYPE_UINT16",
        TritonDataType.UInt32 => "TYPE_UINT32",
        TritonDataType.UInt64 => "TYPE_UINT64",
        TritonDataType.Int8 => "TYPE_INT8",
        TritonDataType.Int16 => "TYPE_INT16",
        TritonDataType.Int32 => "TYPE_INT32",
        TritonDataType.Int64 => "TYPE_INT64",
        TritonDataType.Fp16 => "TYPE_FP16",
        TritonDataType.Fp32 => "TYPE_FP32",
        TritonDataType.Fp64 => "TYPE_FP64",
        TritonDataType.String => "TYPE_STRING",
        TritonDataType.Bf16 => "TYPE_BF16",
        _ => "TYPE_INVALID",
    };

    public static bool TryParseDataType(string text, out TritonDataType type)
    {
        foreach (var candidate in Enum.GetValues<TritonDataType>())
        {
            if (string.Equals(DataType(candidate), text, StringComparison.Ordinal))
            {
                type = candidate;
                return true;
            }
        }

        type = TritonDataType.Invalid;
        return false;
    }

    public static string Kind(TritonInstanceKind kind) => kind switch
    {
        TritonInstanceKind.Gpu => "KIND_GPU",
        TritonInstanceKind.Cpu => "KIND_CPU",
        TritonInstanceKind.Model => "KIND_MODEL",
        _ => "KIND_AUTO",
    };

    public static bool TryParseKind(string text, out TritonInstanceKind kind)
    {
        foreach (var candidate in Enum.GetValues<TritonInstanceKind>())
        {
            if (string.Equals(Kind(candidate), text, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = TritonInstanceKind.Auto;
        return false;
    }
}
