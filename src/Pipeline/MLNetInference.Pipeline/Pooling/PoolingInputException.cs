namespace MLNetInference.Pipeline.Pooling;

/// <summary>A row's token embeddings and attention mask do not fit together.</summary>
public sealed class PoolingInputException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="tokenEmbeddingsColumnName">The token embeddings column.</param>
    /// <param name="attentionMaskColumnName">The attention mask column.</param>
    /// <param name="message">What was wrong and what to do.</param>
    public PoolingInputException(string tokenEmbeddingsColumnName, string attentionMaskColumnName, string message)
        : base(message, tokenEmbeddingsColumnName)
    {
        TokenEmbeddingsColumnName = tokenEmbeddingsColumnName;
        AttentionMaskColumnName = attentionMaskColumnName;
    }

    /// <summary>The token embeddings column.</summary>
    public string TokenEmbeddingsColumnName { get; }

    /// <summary>The attention mask column.</summary>
    public string AttentionMaskColumnName { get; }
}
