namespace MLNetInference.Optimizers.Quantization.Sensitivity;

/// <summary>The quantization whose error <see cref="SensitiveLayerSelection"/> measures per MatMul.</summary>
public enum WeightQuantizationScheme
{
    /// <summary>
    /// Dynamic INT8, as <see cref="DynamicInt8QuantizationPass"/> with default options runs it: activations quantized
    /// to uint8 per tensor (asymmetric, range including 0) and weights symmetric int8 per output column.
    /// </summary>
    DynamicInt8,

    /// <summary>
    /// INT4 weight-only, as <see cref="Int4.Int4WeightQuantizationPass"/> runs it with asymmetric blocks of 16 and
    /// float activations.
    /// </summary>
    Int4,
}
