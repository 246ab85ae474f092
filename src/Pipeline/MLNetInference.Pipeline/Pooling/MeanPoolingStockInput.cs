using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Pooling;

/// <summary>The input row of the stock <c>CustomMapping</c> stage that stands in for <see cref="MeanPoolingTransformer"/> in saved models.</summary>
internal sealed class MeanPoolingStockInput
{
    /// <summary>The default name of the token embeddings column.</summary>
    public const string TokenEmbeddingsName = "last_hidden_state";

    /// <summary>The default name of the attention mask column.</summary>
    public const string AttentionMaskName = "attention_mask";

    /// <summary>The token embeddings, flattened [sequence, hidden].</summary>
    [ColumnName(TokenEmbeddingsName)]
    [VectorType]
    public float[] TokenEmbeddings { get; set; } = [];

    /// <summary>The attention mask.</summary>
    [ColumnName(AttentionMaskName)]
    [VectorType]
    public long[] AttentionMask { get; set; } = [];
}
