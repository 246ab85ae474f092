using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Benchmarks.Harness;

/// <summary>The session settings of the side-by-side model comparisons: ORT_ENABLE_ALL, one intra-op and one inter-op thread, sequential.</summary>
internal static class SingleThreadedSession
{
    /// <summary>Creates the options; the caller disposes them.</summary>
    public static SessionOptions Options() => new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };
}
