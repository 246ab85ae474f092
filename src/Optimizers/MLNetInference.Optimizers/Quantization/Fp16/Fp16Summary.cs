namespace MLNetInference.Optimizers.Quantization.Fp16;

/// <summary>What one run of <see cref="Fp16ConversionPass"/> did.</summary>
public sealed class Fp16Summary
{
    /// <summary>Gets the number of float initializers now stored as fp16 (each followed by one Cast-to-float node).</summary>
    public int ConvertedInitializers { get; internal set; }

    /// <summary>Gets the number of values clamped to ±65504, the largest finite fp16 value.</summary>
    public long ClampedValues { get; internal set; }

    /// <summary>Gets the bytes of initializer data saved (fp32 bytes minus fp16 bytes).</summary>
    public long BytesSaved { get; internal set; }

    /// <summary>Gets the float initializers left in fp32, each with the reason.</summary>
    public IList<string> Kept { get; } = [];
}
