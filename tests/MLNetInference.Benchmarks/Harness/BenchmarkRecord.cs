namespace MLNetInference.Benchmarks.Harness;

/// <summary>One variant's result, with exactly the fields of the JSON contract.</summary>
internal sealed record BenchmarkRecord(
    string Workload,
    string Variant,
    bool Baseline,
    int? Clients,
    double? RowsPerS,
    double? P50Ms,
    double? P99Ms,
    double PeakRssMb,
    IReadOnlyDictionary<string, double>? RatioVs,
    string? Note);
