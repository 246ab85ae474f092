namespace MLNetInference.Optimizers.Quantization.Static;

/// <summary>How activations are quantized by <see cref="StaticInt8QuantizationPass"/>.</summary>
public enum ActivationQuantization
{
    /// <summary>
    /// Unsigned 8-bit with a zero point (asymmetric): the range always includes 0 and uses all 256 levels. The default;
    /// ONNX Runtime's CPU kernels pair uint8 activations with int8 weights.
    /// </summary>
    UInt8Asymmetric,

    /// <summary>Signed 8-bit, symmetric around zero point 0 (range ±max|x|).</summary>
    Int8Symmetric,
}
