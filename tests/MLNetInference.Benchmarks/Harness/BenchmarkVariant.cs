namespace MLNetInference.Benchmarks.Harness;

/// <summary>One side of a side-by-side comparison.</summary>
/// <remarks>
/// Either <see cref="RunSlice"/> or <see cref="RunTimedSlice"/> is set. <see cref="RunSlice"/> runs one short slice
/// for the given round (-1 for the warm-up), adds each call's latency in milliseconds to the list when calls are
/// meaningful on their own, and returns the number of rows it processed; the runner times it. A load test sets
/// <see cref="RunTimedSlice"/> instead and returns the rows it counts and the seconds they took, so that requests
/// still in flight at the end of the slice (whose latencies are kept) do not stretch the measured time.
/// </remarks>
internal sealed class BenchmarkVariant
{
    public required string Name { get; init; }

    /// <summary>Gets the name of the variant this one is compared against; null for a baseline.</summary>
    public string? BaselineName { get; init; }

    /// <summary>Gets further variants this one is compared against, besides <see cref="BaselineName"/>.</summary>
    public IReadOnlyList<string> AlsoComparedWith { get; init; } = [];

    /// <summary>Gets an explicit baseline flag; when null, a variant without <see cref="BaselineName"/> is a baseline.</summary>
    public bool? Baseline { get; init; }

    public bool IsBaseline => Baseline ?? BaselineName is null;

    /// <summary>Gets the closed-loop clients of a load test; null otherwise.</summary>
    public int? Clients { get; init; }

    public Func<int, List<double>, int>? RunSlice { get; init; }

    public Func<int, List<double>, SliceResult>? RunTimedSlice { get; init; }
}

/// <summary>What one timed slice did: the rows it counts and the seconds over which they were counted.</summary>
internal readonly record struct SliceResult(int Rows, double Seconds);
