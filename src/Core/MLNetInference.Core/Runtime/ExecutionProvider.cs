namespace MLNetInference.Core.Runtime;

/// <summary>Where ONNX Runtime executes a model.</summary>
public enum ExecutionProvider
{
    /// <summary>Use CUDA when the native GPU package and a device are present, otherwise the CPU (with a logged warning).</summary>
    Auto = 0,

    /// <summary>The CPU execution provider.</summary>
    Cpu = 1,

    /// <summary>The CUDA execution provider on <see cref="OnnxSessionOptions.DeviceId"/>.</summary>
    Cuda = 2,
}
