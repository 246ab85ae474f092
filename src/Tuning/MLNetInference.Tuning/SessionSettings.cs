using Microsoft.ML.OnnxRuntime;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Tuning;

/// <summary>The ONNX Runtime session settings of one trial.</summary>
/// <param name="Provider">The execution provider.</param>
/// <param name="IntraOpThreads">Threads one Run may use; 0 lets ONNX Runtime choose.</param>
/// <param name="OptimizationLevel">ONNX Runtime's graph optimization level at load.</param>
public sealed record SessionSettings(ExecutionProvider Provider, int IntraOpThreads, GraphOptimizationLevel OptimizationLevel)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Provider.ToString().ToLowerInvariant()}, intra-op {(IntraOpThreads == 0 ? "auto" : IntraOpThreads)}, {OptimizationLevel.ToString().Replace("ORT_", string.Empty, StringComparison.Ordinal).ToLowerInvariant()}";
}
