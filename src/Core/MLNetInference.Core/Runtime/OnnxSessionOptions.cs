using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Core.Runtime;

/// <summary>Settings for creating an ONNX Runtime session through <see cref="OnnxSessionFactory"/>.</summary>
/// <remarks>
/// Defaults: <see cref="ExecutionProvider.Cpu"/>, device 0, CPU fallback allowed, intra-op threads chosen by
/// ONNX Runtime (0), one inter-op thread, <see cref="GraphOptimizationLevel.ORT_ENABLE_ALL"/>, no cache file,
/// and the fixed-batch rewrite on.
/// </remarks>
public sealed class OnnxSessionOptions
{
    /// <summary>Gets or sets the execution provider.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>Gets or sets the CUDA device id, used with <see cref="ExecutionProvider.Cuda"/> and <see cref="ExecutionProvider.Auto"/>.</summary>
    public int DeviceId { get; set; }

    /// <summary>
    /// Gets or sets whether a CUDA request that cannot be met falls back to the CPU with a logged warning.
    /// When <see langword="false"/>, it throws <see cref="OnnxModelLoadException"/> instead.
    /// </summary>
    public bool AllowCpuFallback { get; set; } = true;

    /// <summary>Gets or sets the number of threads one Run may use; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Gets or sets the number of threads for running independent nodes in parallel; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; set; } = 1;

    /// <summary>Gets or sets the graph optimization level applied at load.</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// Gets or sets an optional file in which the optimized graph is cached. When it exists and was written
    /// for the same source model (same path, size and last write time; for bytes, the same SHA-256) and the same
    /// provider, level and ONNX Runtime version, it is loaded instead of optimizing again.
    /// </summary>
    public string? OptimizedModelCachePath { get; set; }

    /// <summary>
    /// Gets or sets whether a model whose batch dimension is fixed at 1 is rewritten to a symbolic batch
    /// dimension where a static check and a numerical check find that safe.
    /// </summary>
    public bool RewriteFixedBatch { get; set; } = true;

    /// <summary>Returns a copy of these settings.</summary>
    /// <returns>A new instance with the same values.</returns>
    public OnnxSessionOptions Clone() => (OnnxSessionOptions)MemberwiseClone();

    /// <summary>Checks that the settings are in range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A device id or thread count is negative, or the execution provider is unknown.</exception>
    public void Validate()
    {
        if (DeviceId < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(DeviceId), DeviceId, "The CUDA device id must be 0 or more.");
        }

        if (IntraOpThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "Intra-op threads must be 0 (automatic) or more.");
        }

        if (InterOpThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(InterOpThreads), InterOpThreads, "Inter-op threads must be 0 (automatic) or more.");
        }

        if (!Enum.IsDefined(ExecutionProvider))
        {
            throw new ArgumentOutOfRangeException(nameof(ExecutionProvider), ExecutionProvider, "Unknown execution provider.");
        }
    }
}
