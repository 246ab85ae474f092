using Microsoft.ML.Data;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>A MiniLM sentence embedding, as every P1 variant returns it.</summary>
internal sealed class EmbeddingRow
{
    [ColumnName("embedding")]
    [VectorType(384)]
    public float[] Vector { get; set; } = [];
}
