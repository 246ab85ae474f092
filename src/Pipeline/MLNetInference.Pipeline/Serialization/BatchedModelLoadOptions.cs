using Microsoft.Extensions.Logging;
using MLNetInference.Core.Runtime;

namespace MLNetInference.Pipeline.Serialization;

/// <summary>Settings that override what a saved model recorded, for the host that loads it (for example a serving pool).</summary>
public sealed class BatchedModelLoadOptions
{
    /// <summary>Gets or sets the session settings (device, threads) for every ONNX scoring stage; the saved ones when <see langword="null"/>.</summary>
    public OnnxSessionOptions? Session { get; set; }

    /// <summary>Gets or sets the rows per ONNX Runtime call of every ONNX scoring stage; the saved value when <see langword="null"/>.</summary>
    public int? BatchSize { get; set; }

    /// <summary>
    /// Gets or sets the logger that receives the session factory's warnings as the ONNX scoring stages load (a CUDA
    /// device that is not available, a model that runs one row per call); none when <see langword="null"/>.
    /// </summary>
    public ILogger? Logger { get; set; }
}
