using MLNetInference.Core.Runtime;

namespace MLNetInference.Serving;

/// <summary>A device a batch worker runs on: the CPU, or one CUDA GPU (falling back to the CPU with a warning when CUDA cannot load).</summary>
/// <param name="Provider">The execution provider.</param>
/// <param name="DeviceId">The CUDA device id.</param>
public readonly record struct DeviceSpec(ExecutionProvider Provider, int DeviceId = 0)
{
    /// <summary>Gets the CPU.</summary>
    public static DeviceSpec Cpu => new(ExecutionProvider.Cpu);

    /// <summary>Gets a CUDA device.</summary>
    /// <param name="deviceId">The CUDA device id.</param>
    /// <returns>The device.</returns>
    public static DeviceSpec Cuda(int deviceId = 0) => new(ExecutionProvider.Cuda, deviceId);

    /// <inheritdoc/>
    public override string ToString() => Provider == ExecutionProvider.Cpu ? "cpu" : $"{Provider.ToString().ToLowerInvariant()}:{DeviceId}";
}
