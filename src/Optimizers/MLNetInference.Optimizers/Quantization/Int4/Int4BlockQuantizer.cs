namespace MLNetInference.Optimizers.Quantization.Int4;

/// <summary>
/// Block-wise 4-bit quantization of a row-major weight B [K, N] into the layout of <c>com.microsoft</c>
/// <c>MatMulNBits</c>: B packed as uint8 [N, blocks, blockSize / 2] (the even K index in the low nibble), scales as
/// float [N × blocks], and, when asymmetric, zero points packed as uint8 [N × ceil(blocks / 2)] (low nibble first).
/// Dequantization is (q − zero point) × scale; the implicit zero point is 8.
/// </summary>
internal static class Int4BlockQuantizer
{
    public static Int4Block Quantize(ReadOnlySpan<float> weights, int k, int n, int blockSize, bool symmetric)
    {
        var blocks = (k + blockSize - 1) / blockSize;
        var blob = blockSize / 2;
        var packed = new byte[checked(n * blocks * blob)];
        var scales = new float[n * blocks];
        var zeroBytesPerColumn = (blocks + 1) / 2;
        var zeroPoints = symmetric ? null : new byte[n * zeroBytesPerColumn];
        for (var col = 0; col < n; col++)
        {
            for (var b = 0; b < blocks; b++)
            {
                var start = b * blockSize;
                var end = Math.Min(start + blockSize, k);
                float scale;
                int zero;
                if (symmetric)
                {
                    var absMax = 0f;
                    for (var r = start; r < end; r++)
                    {
                        absMax = Math.Max(absMax, Math.Abs(weights[(r * n) + col]));
                    }

                    scale = absMax / 7f;
                    zero = 8;
                }
                else
                {
                    float min = 0f, max = 0f;
                    for (var r = start; r < end; r++)
                    {
                        var w = weights[(r * n) + col];
                        min = Math.Min(min, w);
                        max = Math.Max(max, w);
                    }

                    scale = (max - min) / 15f;
                    zero = scale == 0f ? 8 : Math.Clamp((int)MathF.Round(-min / scale), 0, 15);
                    zeroPoints![(col * zeroBytesPerColumn) + (b / 2)] |= (byte)(zero << ((b % 2) * 4));
                }

                scales[(col * blocks) + b] = scale;
                var inverse = scale == 0f ? 0f : 1f / scale;
                var blockOffset = ((col * blocks) + b) * blob;
                for (var r = start; r < start + blockSize; r++)
                {
                    // The padding past K quantizes to the zero point, so it dequantizes to exactly 0.
                    var q = r < end ? Math.Clamp((int)MathF.Round(weights[(r * n) + col] * inverse) + zero, 0, 15) : zero;
                    packed[blockOffset + ((r - start) / 2)] |= (byte)(q << (((r - start) % 2) * 4));
                }
            }
        }

        return new Int4Block(packed, scales, zeroPoints, blocks, blob);
    }
}
