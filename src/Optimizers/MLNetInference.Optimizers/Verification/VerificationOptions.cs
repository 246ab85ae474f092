using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Optimizers.Verification;

/// <summary>How <see cref="ModelVerifier"/> runs the two models.</summary>
public sealed class VerificationOptions
{
    /// <summary>
    /// Gets or sets ONNX Runtime's graph optimization level for both sessions. Default
    /// <see cref="GraphOptimizationLevel.ORT_DISABLE_ALL"/>, so that each model runs as written.
    /// </summary>
    public GraphOptimizationLevel OptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_DISABLE_ALL;

    /// <summary>Gets or sets the intra-op thread count of each session; 0 lets ONNX Runtime choose. Default 1, for repeatable sums.</summary>
    public int IntraOpThreads { get; set; } = 1;
}
