namespace MLNetInference.Optimizers.Quantization;

/// <summary>What one run of <see cref="DynamicInt8QuantizationPass"/> did.</summary>
public sealed class DynamicInt8Summary
{
    /// <summary>Gets the number of <c>MatMul</c> nodes replaced by <c>DynamicQuantizeMatMul</c>.</summary>
    public int QuantizedMatMuls { get; internal set; }

    /// <summary>Gets the number of <c>Gemm</c> nodes replaced by <c>DynamicQuantizeMatMul</c>.</summary>
    public int QuantizedGemms { get; internal set; }

    /// <summary>Gets the number of <c>Add</c> nodes folded into a quantized node's bias.</summary>
    public int FoldedBiases { get; internal set; }

    /// <summary>Gets the number of fp32 initializers removed because nothing referenced them any more.</summary>
    public int RemovedInitializers { get; internal set; }

    /// <summary>Gets the candidate nodes (MatMul/Gemm with a constant weight) left in fp32, each with the reason.</summary>
    public IList<string> Skipped { get; } = [];
}
