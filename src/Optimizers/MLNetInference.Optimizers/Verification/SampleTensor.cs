namespace MLNetInference.Optimizers.Verification;

/// <summary>One input tensor for a verification run.</summary>
/// <param name="Data">The values in row-major order: <c>float[]</c>, <c>double[]</c>, <c>long[]</c>, <c>int[]</c> or <c>bool[]</c>.</param>
/// <param name="Shape">The dimensions; their product must equal the length of <paramref name="Data"/>.</param>
public sealed record SampleTensor(Array Data, long[] Shape);
