using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace MLNetInference.Optimizers.Quantization;

/// <summary>
/// What this CPU's 8-bit integer kernels in ONNX Runtime can do exactly, and how fast.
/// </summary>
/// <remarks>
/// On x64 without VNNI (AVX2 only), ONNX Runtime multiplies uint8 activations by int8 weights with <c>vpmaddubsw</c>,
/// whose 16-bit sums of two products saturate when both weights are large, so full-range int8 weights can give wrong
/// results there. uint8 weights (u8×u8, widened to 16 bits first) or 7-bit weights (reduce range) stay exact. With
/// AVX-512 VNNI or AVX-VNNI, and on Arm, the products accumulate in 32 bits and nothing saturates.
/// <para>
/// Speed follows the same line: VNNI's <c>vpdpbusd</c> does in one instruction what AVX2 needs three for, so INT8
/// layers run about 3-4× fp32 with VNNI and little faster than fp32 without it (BENCHMARKS.md, the <c>kernels</c>
/// workload, measures both on the machine that runs it).
/// </para>
/// </remarks>
public static class CpuInt8Kernels
{
    /// <summary>
    /// Gets a value indicating whether full-range int8 weights can saturate this CPU's u8×s8 kernels (x64 without VNNI).
    /// </summary>
    public static bool SaturatesFullRangeInt8Weights { get; } = X86Base.IsSupported && !DetectVnni();

    /// <summary>Gets a value indicating whether this is an x64 CPU with AVX-512 VNNI or AVX-VNNI, the fast path of 8-bit kernels.</summary>
    public static bool HasVnni { get; } = DetectVnni();

    /// <summary>Gets a value indicating whether 8-bit kernels can be expected to run well ahead of fp32 here: x64 with VNNI, or Arm64 with dot-product instructions.</summary>
    public static bool HasFastInt8 { get; } = HasVnni || Dp.Arm64.IsSupported;

    /// <summary>Gets the instruction set the 8-bit kernels use on this CPU, in words (for reports).</summary>
    public static string InstructionSet { get; } = Describe();

    private static string Describe()
    {
        if (X86Base.IsSupported)
        {
            if (MaxLeaf() >= 7)
            {
                var (_, _, ecx, _) = X86Base.CpuId(7, 0);
                var (eax1, _, _, _) = X86Base.CpuId(7, 1);
                if ((ecx & (1 << 11)) != 0)
                {
                    return "x64 AVX-512 VNNI";
                }

                if ((eax1 & (1 << 4)) != 0)
                {
                    return "x64 AVX-VNNI";
                }
            }

            return Avx2.IsSupported ? "x64 AVX2 (vpmaddubsw, no VNNI)" : "x64 without AVX2";
        }

        if (Dp.Arm64.IsSupported)
        {
            return "Arm64 dot product (sdot/udot)";
        }

        return AdvSimd.Arm64.IsSupported ? "Arm64 NEON without dot product" : System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static int MaxLeaf() => X86Base.IsSupported ? X86Base.CpuId(0, 0).Eax : 0;

    private static bool DetectVnni()
    {
        if (!X86Base.IsSupported || MaxLeaf() < 7)
        {
            return false;
        }

        // CPUID.(EAX=7,ECX=0):ECX bit 11 is AVX512_VNNI; CPUID.(EAX=7,ECX=1):EAX bit 4 is AVX_VNNI.
        var (_, _, ecx, _) = X86Base.CpuId(7, 0);
        var (eax1, _, _, _) = X86Base.CpuId(7, 1);
        return (ecx & (1 << 11)) != 0 || (eax1 & (1 << 4)) != 0;
    }
}
