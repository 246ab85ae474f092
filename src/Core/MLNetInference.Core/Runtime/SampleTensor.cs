namespace MLNetInference.Core.Runtime;

/// <summary>
/// One named input tensor of a sample: a whole tensor, batch dimension included, as <see cref="SampleRunner"/> feeds
/// it to a session. Verification, calibration and tuning samples are dictionaries of these, keyed by input name.
/// </summary>
/// <param name="Data">The values in row-major order: <c>float[]</c>, <c>double[]</c>, <c>long[]</c>, <c>int[]</c>, <c>bool[]</c> or ONNX Runtime's <c>Float16[]</c>.</param>
/// <param name="Shape">The dimensions; their product must equal the length of <paramref name="Data"/>.</param>
public sealed record SampleTensor(Array Data, long[] Shape);
