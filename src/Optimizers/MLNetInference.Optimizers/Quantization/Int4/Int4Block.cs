namespace MLNetInference.Optimizers.Quantization.Int4;

/// <summary>One weight quantized by <see cref="Int4BlockQuantizer"/>.</summary>
/// <param name="Packed">The packed 4-bit values, [N, Blocks, BlobSize].</param>
/// <param name="Scales">The scales, [N × Blocks].</param>
/// <param name="ZeroPoints">The packed 4-bit zero points, [N × ceil(Blocks / 2)]; <see langword="null"/> when symmetric.</param>
/// <param name="Blocks">The number of blocks per column.</param>
/// <param name="BlobSize">The bytes per block.</param>
internal sealed record Int4Block(byte[] Packed, float[] Scales, byte[]? ZeroPoints, int Blocks, int BlobSize);
