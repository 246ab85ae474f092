namespace MLNetInference.Serving.Repository;

/// <summary>The element type of a model input or output in Triton's model configuration (<c>data_type: TYPE_FP32</c>).</summary>
/// <remarks>The numbers are those of Triton's <c>DataType</c> enum; the text form is the member's <c>TYPE_</c> name.</remarks>
public enum TritonDataType
{
    /// <summary><c>TYPE_INVALID</c>: no type; never valid in a configuration.</summary>
    Invalid = 0,

    /// <summary><c>TYPE_BOOL</c>.</summary>
    Bool = 1,

    /// <summary><c>TYPE_UINT8</c>.</summary>
    UInt8 = 2,

    /// <summary><c>TYPE_UINT16</c>.</summary>
    UInt16 = 3,

    /// <summary><c>TYPE_UINT32</c>.</summary>
    UInt32 = 4,

    /// <summary><c>TYPE_UINT64</c>.</summary>
    UInt64 = 5,

    /// <summary><c>TYPE_INT8</c>.</summary>
    Int8 = 6,

    /// <summary><c>TYPE_INT16</c>.</summary>
    Int16 = 7,

    /// <summary><c>TYPE_INT32</c>.</summary>
    Int32 = 8,

    /// <summary><c>TYPE_INT64</c>.</summary>
    Int64 = 9,

    /// <summary><c>TYPE_FP16</c>.</summary>
    Fp16 = 10,

    /// <summary><c>TYPE_FP32</c>.</summary>
    Fp32 = 11,

    /// <summary><c>TYPE_FP64</c>.</summary>
    Fp64 = 12,

    /// <summary><c>TYPE_STRING</c> (the protocol's BYTES).</summary>
    String = 13,

    /// <summary><c>TYPE_BF16</c>.</summary>
    Bf16 = 14,
}
