using Microsoft.ML.Data;

namespace MLNetInference.Samples.EmbeddingService;

/// <summary>The row the embedder pool returns: the L2-normalized, mean-pooled MiniLM sentence embedding.</summary>
public sealed class Embedding
{
    public const int Dimensions = 384;

    [ColumnName("embedding")]
    [VectorType(Dimensions)]
    public float[] Vector { get; set; } = [];
}
