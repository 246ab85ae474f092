using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using MLNetInference.Optimizers.Quantization;

namespace MLNetInference.Optimizers.Tests.Quantization;

[TestClass]
public sealed class CpuInt8KernelsTests
{
    [TestMethod]
    public void InstructionSetAgreesWithTheFlags()
    {
        var set = CpuInt8Kernels.InstructionSet;
        Assert.IsFalse(string.IsNullOrWhiteSpace(set));
        Assert.AreEqual(CpuInt8Kernels.HasVnni, set.Contains("VNNI", StringComparison.Ordinal) && !set.Contains("no VNNI", StringComparison.Ordinal), set);
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            Assert.StartsWith("x64", set);
            Assert.AreEqual(!CpuInt8Kernels.HasVnni, CpuInt8Kernels.SaturatesFullRangeInt8Weights);
            Assert.AreEqual(CpuInt8Kernels.HasVnni, CpuInt8Kernels.HasFastInt8);
            if (!CpuInt8Kernels.HasVnni && Avx2.IsSupported)
            {
                StringAssert.Contains(set, "AVX2");
            }
        }
        else
        {
            Assert.IsFalse(CpuInt8Kernels.HasVnni);
            Assert.IsFalse(CpuInt8Kernels.SaturatesFullRangeInt8Weights);
        }
    }

    [TestMethod]
    public void VnniMatchesTheKernelFlagsOfProcCpuinfo()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !File.Exists("/proc/cpuinfo"))
        {
            Assert.Inconclusive("Reads /proc/cpuinfo on Linux x64.");
        }

        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        if (flags is null)
        {
            Assert.Inconclusive("/proc/cpuinfo lists no flags.");
        }

        var words = flags[(flags.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        Assert.AreEqual(words.Contains("avx512_vnni") || words.Contains("avx_vnni"), CpuInt8Kernels.HasVnni, CpuInt8Kernels.InstructionSet);
    }
}
