namespace MLNetInference.Optimizers.Quantization.Static;

/// <summary>How the range of an activation is chosen from what calibration observed.</summary>
public enum CalibrationMethod
{
    /// <summary>The observed minimum and maximum (exact, but one outlier widens the whole range).</summary>
    MinMax,

    /// <summary>
    /// Clips to the <see cref="StaticInt8Options.Percentile"/> percentile of the absolute values (99.999 by default),
    /// so that rare outliers do not cost the common values their resolution.
    /// </summary>
    Percentile,

    /// <summary>
    /// Clips to the threshold whose 8-bit quantized histogram is closest to the observed one in KL divergence
    /// (the entropy calibration of TensorRT and ONNX Runtime). It clips hard: on all-MiniLM-L6-v2 (embedding cosine 0.91
    /// against 0.993 for MinMax), ResNet18 on generated inputs (0.94 against 0.993) and ResNet18 on real photographs (0.956
    /// against 0.992) it lost accuracy, so prefer
    /// <see cref="MinMax"/> or <see cref="Percentile"/> unless a measurement on your model says otherwise.
    /// </summary>
    Entropy,
}
