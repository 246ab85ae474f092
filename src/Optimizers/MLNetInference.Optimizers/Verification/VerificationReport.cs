namespace MLNetInference.Optimizers.Verification;

/// <summary>The result of comparing an optimized model with its original on sample inputs; serializable to JSON.</summary>
/// <param name="SampleCount">How many samples (input sets) were run.</param>
/// <param name="Outputs">Per output of the original model, how the two compare.</param>
public sealed record VerificationReport(int SampleCount, IReadOnlyList<OutputComparison> Outputs)
{
    /// <summary>Gets the largest absolute difference over every output.</summary>
    public double MaxAbsDiff => Outputs.Count == 0 ? 0 : Outputs.Max(o => o.MaxAbsDiff);

    /// <summary>Gets the smallest mean row cosine over every output.</summary>
    public double MeanCosine => Outputs.Count == 0 ? 1 : Outputs.Min(o => o.MeanCosine);

    /// <summary>Gets the smallest row cosine over every output.</summary>
    public double MinCosine => Outputs.Count == 0 ? 1 : Outputs.Min(o => o.MinCosine);

    /// <summary>Gets the smallest top-1 agreement over every output.</summary>
    public double Top1Agreement => Outputs.Count == 0 ? 1 : Outputs.Min(o => o.Top1Agreement);

    /// <summary>Gets a value indicating whether every output could be compared.</summary>
    public bool AllCompared => Outputs.All(o => o.Problem is null);

    /// <summary>Tells whether every output was compared and stays within an absolute tolerance.</summary>
    /// <param name="maxAbsDiff">The largest allowed absolute difference.</param>
    /// <returns><see langword="true"/> when the optimized model matches within the tolerance.</returns>
    public bool IsWithin(double maxAbsDiff) => AllCompared && MaxAbsDiff <= maxAbsDiff;
}
