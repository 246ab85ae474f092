namespace MLNetInference.Optimizers.Quantization;

/// <summary>The element type of quantized weights.</summary>
public enum QuantizedWeightType
{
    /// <summary>Signed 8-bit weights, symmetric around zero point 0 (the default; best on VNNI CPUs).</summary>
    Int8,

    /// <summary>Unsigned 8-bit weights, symmetric around zero point 128 (64 with a reduced range).</summary>
    UInt8,
}
