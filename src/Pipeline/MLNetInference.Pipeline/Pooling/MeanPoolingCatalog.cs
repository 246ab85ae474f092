using MLNetInference.Pipeline.Pooling;

namespace Microsoft.ML;

/// <summary>Extensions on <see cref="TransformsCatalog"/> that add masked mean pooling of token embeddings.</summary>
public static class MeanPoolingCatalog
{
    /// <summary>Creates a <see cref="MeanPoolingEstimator"/> that averages token embeddings over the attention mask and L2-normalizes the result.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The output column: a float vector of the hidden size.</param>
    /// <param name="tokenEmbeddingsColumnName">The token embeddings column: a float vector, flattened [sequence, hidden].</param>
    /// <param name="attentionMaskColumnName">The attention mask column: an Int64, Int32 or Single vector.</param>
    /// <param name="normalize">Whether to L2-normalize the mean.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="catalog"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A column name is empty.</exception>
    public static MeanPoolingEstimator MeanPoolAndNormalize(
        this TransformsCatalog catalog,
        string outputColumnName = "embedding",
        string tokenEmbeddingsColumnName = "last_hidden_state",
        string attentionMaskColumnName = "attention_mask",
        bool normalize = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MeanPoolingEstimator(new MeanPoolingOptions
        {
            OutputColumnName = outputColumnName,
            TokenEmbeddingsColumnName = tokenEmbeddingsColumnName,
            AttentionMaskColumnName = attentionMaskColumnName,
            Normalize = normalize,
        });
    }

    /// <summary>Creates a <see cref="MeanPoolingEstimator"/> from options.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options; they are copied.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="catalog"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static MeanPoolingEstimator MeanPoolAndNormalize(this TransformsCatalog catalog, MeanPoolingOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MeanPoolingEstimator(options);
    }
}
