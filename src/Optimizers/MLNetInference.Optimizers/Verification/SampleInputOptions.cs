namespace MLNetInference.Optimizers.Verification;

/// <summary>How <see cref="SampleInputGenerator"/> makes inputs for a model.</summary>
public sealed class SampleInputOptions
{
    /// <summary>Gets or sets how many samples (input sets) to make. Default 2.</summary>
    public int SampleCount { get; set; } = 2;

    /// <summary>Gets or sets the size given to a dynamic leading (batch) dimension. Default 2.</summary>
    public int BatchSize { get; set; } = 2;

    /// <summary>Gets or sets the size given to every other dynamic dimension (the sequence length for text models). Default 16.</summary>
    public int SequenceLength { get; set; } = 16;

    /// <summary>Gets or sets the smallest token id drawn for integer inputs. Default 0.</summary>
    public long MinTokenId { get; set; }

    /// <summary>Gets or sets the bound (exclusive) on token ids drawn for integer inputs. Default 1000, below any real vocabulary.</summary>
    public long MaxTokenId { get; set; } = 1000;

    /// <summary>Gets or sets the half-width of the range random floats are drawn from, centred on 0. Default 1.</summary>
    public float FloatScale { get; set; } = 1f;

    /// <summary>Gets or sets the random seed; sample <c>i</c> uses <c>Seed + i</c>. Default 42.</summary>
    public int Seed { get; set; } = 42;
}
