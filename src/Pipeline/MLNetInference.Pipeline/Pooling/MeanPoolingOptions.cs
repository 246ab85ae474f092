namespace MLNetInference.Pipeline.Pooling;

/// <summary>Options of <see cref="MeanPoolingEstimator"/>.</summary>
/// <remarks>The defaults match a sentence-transformers model exported to ONNX, such as all-MiniLM-L6-v2.</remarks>
public sealed class MeanPoolingOptions
{
    /// <summary>The output column: a float vector of the hidden size. Default <c>embedding</c>.</summary>
    public string OutputColumnName { get; set; } = "embedding";

    /// <summary>The token embeddings column: a float vector, flattened [sequence, hidden]. Default <c>last_hidden_state</c>.</summary>
    public string TokenEmbeddingsColumnName { get; set; } = "last_hidden_state";

    /// <summary>The attention mask column: an Int64, Int32 or Single vector, one entry per token. Default <c>attention_mask</c>.</summary>
    public string AttentionMaskColumnName { get; set; } = "attention_mask";

    /// <summary>Whether to L2-normalize the mean. Default <see langword="true"/>.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>
    /// The hidden size, used when the token embeddings column type does not give it (its last dimension is unknown).
    /// Default <see langword="null"/>: take it from the column type.
    /// </summary>
    public int? HiddenSize { get; set; }
}
