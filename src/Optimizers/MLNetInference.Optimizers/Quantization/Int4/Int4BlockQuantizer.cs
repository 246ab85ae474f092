namespace MLNetInference.Optimizers.Quantization.Int4;

/// <summary>
/// Block-wise 4-bit quantization of a row-major weight B [K, N] into the layout of <c>com.microsoft</c>
/// <c>MatMulNBits</c>: B packed as uint8 [N, blocks, blockSize / 2] (the even K index in the low nibble), scales as
/// float [N × blocks], and, when asymmetric, zero points packed as uint8 [N × ceil(blocks / 2)] (low nibble first).
/// Dequantization is (q − zero point) × scale; the implicit zero point is 8.
/// </summary>
internal static class Int4BlockQuantizer
{
    private const int SearchSteps = 20;
    private const float SearchShrink = 0.02f;

    public static Int4Block Quantize(ReadOnlySpan<float> weights, int k, int n, int blockSize, bool symmetric, bool searchScales = false)
    {
        var block = new float[blockSize];
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
                if (searchScales)
                {
                    for (var r = start; r < end; r++)
                    {
                        block[r - start] = weights[(r * n) + col];
                    }

                    (scale, zero) = SearchScale(block.AsSpan(0, end - start), symmetric);
                    if (!symmetric)
                    {
                        zeroPoints![(col * zeroBytesPerColumn) + (b / 2)] |= (byte)(zero << ((b % 2) * 4));
                    }
                }
                else if (symmetric)
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

    /// <summary>
    /// Picks the block's scale and zero point that minimize the squared dequantization error: the min/max range is
    /// shrunk in small steps (clipping outliers can lower the error of every other value), each candidate's zero point
    /// and its neighbours are tried, and the best candidate's scale is refit by least squares for its codes.
    /// </summary>
    private static (float Scale, int Zero) SearchScale(ReadOnlySpan<float> values, bool symmetric)
    {
        float min = 0f, max = 0f, absMax = 0f;
        foreach (var w in values)
        {
            min = Math.Min(min, w);
            max = Math.Max(max, w);
            absMax = Math.Max(absMax, Math.Abs(w));
        }

        if (absMax == 0f)
        {
            return (0f, 8);
        }

        var bestError = double.MaxValue;
        var bestScale = 0f;
        var bestZero = 8;
        for (var step = 0; step <= SearchSteps; step++)
        {
            var shrink = 1f - (step * SearchShrink);
            if (symmetric)
            {
                Try(absMax * shrink / 7f, 8, values, ref bestError, ref bestScale, ref bestZero);
                Try(absMax * shrink / 8f, 8, values, ref bestError, ref bestScale, ref bestZero);
                continue;
            }

            var scale = (max - min) * shrink / 15f;
            var center = (int)MathF.Round(-min * shrink / scale);
            for (var zero = center - 1; zero <= center + 1; zero++)
            {
                if (zero is >= 0 and <= 15)
                {
                    Try(scale, zero, values, ref bestError, ref bestScale, ref bestZero);
                }
            }
        }

        // Least-squares refit of the scale for the chosen codes: s = Σ w·(q − z) / Σ (q − z)².
        double dot = 0, norm = 0;
        var inverse = 1f / bestScale;
        foreach (var w in values)
        {
            var centered = Math.Clamp((int)MathF.Round(w * inverse) + bestZero, 0, 15) - bestZero;
            dot += w * centered;
            norm += centered * centered;
        }

        if (norm > 0 && dot > 0)
        {
            var refit = (float)(dot / norm);
            var refitError = double.MaxValue;
            var refitScale = 0f;
            var refitZero = bestZero;
            Try(refit, bestZero, values, ref refitError, ref refitScale, ref refitZero);
            if (refitError < bestError)
            {
                bestScale = refit;
            }
        }

        return (bestScale, bestZero);
    }

    private static void Try(float scale, int zero, ReadOnlySpan<float> values, ref double bestError, ref float bestScale, ref int bestZero)
    {
        if (!(scale > 0f) || !float.IsFinite(scale))
        {
            return;
        }

        var inverse = 1f / scale;
        double error = 0;
        foreach (var w in values)
        {
            var q = Math.Clamp((int)MathF.Round(w * inverse) + zero, 0, 15);
            var d = w - ((q - zero) * scale);
            error += d * d;
        }

        if (error < bestError)
        {
            bestError = error;
            bestScale = scale;
            bestZero = zero;
        }
    }

    /// <summary>Dequantizes a block-quantized weight back to a row-major float [K, N] (for error measurements).</summary>
    public static float[] Dequantize(Int4Block block, int k, int n, int blockSize)
    {
        var result = new float[k * n];
        var zeroBytesPerColumn = (block.Blocks + 1) / 2;
        for (var col = 0; col < n; col++)
        {
            for (var b = 0; b < block.Blocks; b++)
            {
                var scale = block.Scales[(col * block.Blocks) + b];
                var zero = block.ZeroPoints is { } zeros ? (zeros[(col * zeroBytesPerColumn) + (b / 2)] >> ((b % 2) * 4)) & 0xF : 8;
                var blockOffset = ((col * block.Blocks) + b) * block.BlobSize;
                for (var r = b * blockSize; r < Math.Min((b + 1) * blockSize, k); r++)
                {
                    var q = (block.Packed[blockOffset + ((r - (b * blockSize)) / 2)] >> (((r - (b * blockSize)) % 2) * 4)) & 0xF;
                    result[(r * n) + col] = (q - zero) * scale;
                }
            }
        }

        return result;
    }
}
