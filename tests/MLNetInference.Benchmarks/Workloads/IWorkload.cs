using MLNetInference.Benchmarks.Harness;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>A named benchmark workload from DESIGN.md.</summary>
internal interface IWorkload
{
    string Name { get; }

    string Title { get; }

    /// <summary>Measures the workload's variants side by side; lines written to <paramref name="progress"/> show headway.</summary>
    IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress);
}
