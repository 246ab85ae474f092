namespace MLNetInference.Tuning;

/// <summary>A closed-loop load measurement at the target concurrency.</summary>
/// <param name="RowsPerSecond">Completed requests per second.</param>
/// <param name="P50Ms">Median request latency in milliseconds.</param>
/// <param name="P99Ms">99th-percentile request latency in milliseconds.</param>
/// <param name="Requests">How many requests completed.</param>
/// <param name="Seconds">How long the measurement ran.</param>
public sealed record PerformanceResult(double RowsPerSecond, double P50Ms, double P99Ms, int Requests, double Seconds);
