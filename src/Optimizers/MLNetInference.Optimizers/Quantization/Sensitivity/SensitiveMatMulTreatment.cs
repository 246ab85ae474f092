namespace MLNetInference.Optimizers.Quantization.Sensitivity;

/// <summary>What <see cref="SensitiveDynamicInt8QuantizationPass"/> does with the MatMuls it finds most sensitive.</summary>
public enum SensitiveMatMulTreatment
{
    /// <summary>Leaves them in float (exact, slower).</summary>
    KeepFloat,

    /// <summary>
    /// Quantizes them after migrating activation outliers into the weights: each input channel k is divided by
    /// s_k = sqrt(max|x_k| / max|W_k,:|) (a <c>Mul</c> before the MatMul) and weight row k multiplied by it, so that the
    /// per-tensor activation scale is no longer set by a few outlier channels (the SmoothQuant idea, α = 0.5).
    /// </summary>
    SmoothActivations,
}
