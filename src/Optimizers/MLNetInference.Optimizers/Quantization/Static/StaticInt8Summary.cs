namespace MLNetInference.Optimizers.Quantization.Static;

/// <summary>What one run of <see cref="StaticInt8QuantizationPass"/> did.</summary>
public sealed class StaticInt8Summary
{
    /// <summary>Gets the calibration method used.</summary>
    public CalibrationMethod Method { get; internal set; }

    /// <summary>Gets how many samples calibration ran.</summary>
    public int CalibrationSamples { get; internal set; }

    /// <summary>Gets a value indicating whether calibration ran on generated inputs because the caller supplied none.</summary>
    public bool CalibratedOnGeneratedInputs { get; internal set; }

    /// <summary>Gets the number of <c>Conv</c> nodes given quantized inputs and weights.</summary>
    public int QuantizedConvs { get; internal set; }

    /// <summary>Gets the number of <c>MatMul</c> nodes given quantized inputs and weights.</summary>
    public int QuantizedMatMuls { get; internal set; }

    /// <summary>Gets the number of <c>Gemm</c> nodes given quantized inputs and weights.</summary>
    public int QuantizedGemms { get; internal set; }

    /// <summary>Gets the number of connecting nodes (<c>Add</c>, pooling, reshaping) between quantized nodes given quantized inputs.</summary>
    public int QuantizedConnectingNodes { get; internal set; }

    /// <summary>Gets the number of activations given a QuantizeLinear/DequantizeLinear pair.</summary>
    public int QuantizedActivations { get; internal set; }

    /// <summary>Gets the number of biases stored as int32.</summary>
    public int QuantizedBiases { get; internal set; }

    /// <summary>Gets the default-domain opset before the pass, when the pass raised it.</summary>
    public long? RaisedOpsetFrom { get; internal set; }

    /// <summary>Gets the nodes left alone, each with the reason.</summary>
    public List<string> Skipped { get; } = [];

    /// <summary>Gets the warnings, for example calibration on generated inputs.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Gets the calibrated range of each quantized activation, by tensor name.</summary>
    public IReadOnlyDictionary<string, ActivationRange> Ranges { get; internal set; } = new Dictionary<string, ActivationRange>();
}
