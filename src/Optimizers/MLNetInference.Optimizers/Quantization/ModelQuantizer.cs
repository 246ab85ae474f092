using MLNetInference.Core.Onnx;

namespace MLNetInference.Optimizers.Quantization;

/// <summary>One-call quantization of serialized ONNX models, for the CLI and tests.</summary>
public static class ModelQuantizer
{
    /// <summary>Quantizes a model's MatMul/Gemm weights to 8 bits with <see cref="DynamicInt8QuantizationPass"/>.</summary>
    /// <param name="model">The serialized ONNX model (external data is not supported on this path).</param>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <returns>The serialized quantized model (the input unchanged, re-serialized, when nothing qualified).</returns>
    public static byte[] QuantizeDynamicInt8(byte[] model, DynamicInt8Options? options = null) =>
        QuantizeDynamicInt8(model, options, out _);

    /// <summary>Quantizes a model's MatMul/Gemm weights to 8 bits and tells what was done.</summary>
    /// <param name="model">The serialized ONNX model.</param>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <param name="summary">What the pass did.</param>
    /// <returns>The serialized quantized model.</returns>
    public static byte[] QuantizeDynamicInt8(byte[] model, DynamicInt8Options? options, out DynamicInt8Summary summary)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = OnnxModelIO.Parse(model);
        var pass = new DynamicInt8QuantizationPass(options);
        pass.Run(proto);
        summary = pass.LastSummary!;
        return OnnxModelIO.ToBytes(proto);
    }

    /// <summary>Quantizes the model at <paramref name="inputPath"/> (external data loaded) and saves it to <paramref name="outputPath"/>.</summary>
    /// <param name="inputPath">The fp32 model file.</param>
    /// <param name="outputPath">Where the quantized model is written.</param>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <returns>What the pass did.</returns>
    public static DynamicInt8Summary QuantizeDynamicInt8(string inputPath, string outputPath, DynamicInt8Options? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputPath);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        var proto = OnnxModelIO.Load(inputPath);
        var pass = new DynamicInt8QuantizationPass(options);
        pass.Run(proto);
        OnnxModelIO.Save(proto, outputPath);
        return pass.LastSummary!;
    }
}
