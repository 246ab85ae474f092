namespace MLNetInference.Tuning;

/// <summary>Headway of a tuning run, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Phase">The phase: <c>recipes</c>, <c>fallback</c>, <c>timing</c> or <c>report</c>.</param>
/// <param name="Completed">Steps done in this phase.</param>
/// <param name="Total">Steps planned in this phase (may grow).</param>
/// <param name="Message">What was just done.</param>
public sealed record TuningProgress(string Phase, int Completed, int Total, string Message);
