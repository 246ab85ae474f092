namespace MLNetInference.Optimizers.Quantization.Static;

/// <summary>What calibration found for one activation: the observed extremes and the range chosen to quantize it.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="ObservedMin">The smallest value seen.</param>
/// <param name="ObservedMax">The largest value seen.</param>
/// <param name="Min">The chosen lower end (at least <paramref name="ObservedMin"/>).</param>
/// <param name="Max">The chosen upper end (at most <paramref name="ObservedMax"/>).</param>
/// <param name="Count">How many values were seen.</param>
public sealed record ActivationRange(string Name, float ObservedMin, float ObservedMax, float Min, float Max, long Count);
