using System.Numerics;
using System.Numerics.Tensors;

namespace MLNetInference.Pipeline.Pooling;

/// <summary>Masked mean pooling with optional L2 normalization, shared by the transformer and its stock stand-in.</summary>
internal static class MeanPoolingKernel
{
    /// <summary>
    /// Writes into <paramref name="destination"/> the mean of the rows of <paramref name="embeddings"/> (flattened
    /// [mask.Length, destination.Length]) whose mask entry is not zero, then L2-normalizes it when asked.
    /// </summary>
    /// <typeparam name="TMask">The mask element type.</typeparam>
    /// <param name="embeddings">The token embeddings; length mask.Length × destination.Length.</param>
    /// <param name="mask">The attention mask.</param>
    /// <param name="destination">The pooled vector; its length is the hidden size.</param>
    /// <param name="normalize">Whether to L2-normalize.</param>
    /// <remarks>With no unmasked token the result is all zeros, as sentence-transformers gives.</remarks>
    public static void Pool<TMask>(ReadOnlySpan<float> embeddings, ReadOnlySpan<TMask> mask, Span<float> destination, bool normalize)
        where TMask : INumberBase<TMask>
    {
        int hidden = destination.Length;
        destination.Clear();
        int count = 0;
        for (int t = 0; t < mask.Length; t++)
        {
            if (!TMask.IsZero(mask[t]))
            {
                // PERF: vectorized add of one token row.
                TensorPrimitives.Add(destination, embeddings.Slice(t * hidden, hidden), destination);
                count++;
            }
        }

        if (count > 1)
        {
            TensorPrimitives.Divide(destination, count, destination);
        }

        if (normalize)
        {
            // Same epsilon as torch.nn.functional.normalize.
            float norm = MathF.Max(TensorPrimitives.Norm<float>(destination), 1e-12f);
            TensorPrimitives.Divide(destination, norm, destination);
        }
    }
}
