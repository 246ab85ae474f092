namespace MLNetInference.Cli;

/// <summary>Median latencies, in milliseconds, of the original and optimized models at batch 1 and 16.</summary>
internal sealed record LatencyReport(double OriginalBatch1, double OptimizedBatch1, double OriginalBatch16, double OptimizedBatch16);
