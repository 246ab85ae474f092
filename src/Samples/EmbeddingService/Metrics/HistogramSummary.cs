namespace MLNetInference.Samples.EmbeddingService.Metrics;

/// <summary>What a histogram recorded since the service started.</summary>
/// <param name="Count">How many values were recorded.</param>
/// <param name="Sum">Their sum.</param>
/// <param name="Min">The smallest; 0 when none.</param>
/// <param name="Max">The largest; 0 when none.</param>
/// <param name="Mean">Their mean; 0 when none.</param>
public sealed record HistogramSummary(long Count, double Sum, double Min, double Max, double Mean);
