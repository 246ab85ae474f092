using System.Runtime.Intrinsics.X86;

namespace MLNetInference.Optimizers.Quantization;

/// <summary>
/// What this CPU's 8-bit integer kernels in ONNX Runtime can do exactly.
/// </summary>
/// <remarks>
/// On x64 without VNNI (AVX2 only), ONNX Runtime multiplies uint8 activations by int8 weights with <c>vpmaddubsw</c>,
/// whose 16-bit sums of two products saturate when both weights are large, so full-range int8 weights can give wrong
/// results there. uint8 weights (u8×u8, widened to 16 bits first) or 7-bit weights (reduce range) stay exact. With
/// AVX-512 VNNI or AVX-VNNI, and on Arm, the products accumulate in 32 bits and nothing saturates.
/// </remarks>
public static class CpuInt8Kernels
{
    /// <summary>
    /// Gets a value indicating whether full-range int8 weights can saturate this CPU's u8×s8 kernels (x64 without VNNI).
    /// </summary>
    public static bool SaturatesFullRangeInt8Weights { get; } = X86Base.IsSupported && !HasVnni();

    private static bool HasVnni()
    {
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf < 7)
        {
            return false;
        }

        // CPUID.(EAX=7,ECX=0):ECX bit 11 is AVX512_VNNI; CPUID.(EAX=7,ECX=1):EAX bit 4 is AVX_VNNI.
        var (_, _, ecx, _) = X86Base.CpuId(7, 0);
        var (eax1, _, _, _) = X86Base.CpuId(7, 1);
        return (ecx & (1 << 11)) != 0 || (eax1 & (1 << 4)) != 0;
    }
}
