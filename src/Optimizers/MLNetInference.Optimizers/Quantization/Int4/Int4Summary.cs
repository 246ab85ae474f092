namespace MLNetInference.Optimizers.Quantization.Int4;

/// <summary>What one run of <see cref="Int4WeightQuantizationPass"/> did.</summary>
public sealed class Int4Summary
{
    /// <summary>Gets the number of <c>MatMul</c> nodes replaced by <c>MatMulNBits</c>.</summary>
    public int QuantizedMatMuls { get; internal set; }

    /// <summary>Gets the number of fp32 initializers removed because nothing referenced them any more.</summary>
    public int RemovedInitializers { get; internal set; }

    /// <summary>Gets the candidate nodes (MatMul with a constant float weight) left in fp32, each with the reason.</summary>
    public IList<string> Skipped { get; } = [];
}
