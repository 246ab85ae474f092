namespace MLNetInference.Benchmarks.Harness;

/// <summary>One side of a side-by-side comparison.</summary>
/// <remarks>
/// <see cref="RunSlice"/> runs one short slice for the given round, adds each call's latency in milliseconds
/// to the list when calls are meaningful on their own, and returns the number of rows it processed.
/// </remarks>
internal sealed class BenchmarkVariant
{
    public required string Name { get; init; }

    /// <summary>Gets the name of the variant this one is compared against; null for a baseline.</summary>
    public string? BaselineName { get; init; }

    public bool IsBaseline => BaselineName is null;

    public required Func<int, List<double>, int> RunSlice { get; init; }
}
