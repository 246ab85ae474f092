using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace MLNetInference.Benchmarks;

/// <summary>The machine a run measured, as printed above the tables.</summary>
internal sealed record MachineInfo(int Cores, string CpuModel, string Os, string DotNet, string OnnxRuntime)
{
    public static MachineInfo Current()
    {
        var cpu = "unknown";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo")
                .Where(l => l.StartsWith("model name", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf(':') + 1)..].Trim())
                .FirstOrDefault() ?? cpu;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return new MachineInfo(
            Environment.ProcessorCount,
            cpu,
            RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription,
            OrtEnv.Instance().GetVersionString());
    }

    public string ToMarkdown() =>
        $"Machine: {Cores} cores, {CpuModel}; {Os}; {DotNet}; ONNX Runtime {OnnxRuntime}";
}
