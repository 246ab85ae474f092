using Microsoft.ML.Data;

namespace MLNetInference.Pipeline.Pooling;

/// <summary>The output row of the stock <c>CustomMapping</c> stage that stands in for <see cref="MeanPoolingTransformer"/> in saved models.</summary>
internal sealed class MeanPoolingStockOutput
{
    /// <summary>The default name of the output column.</summary>
    public const string EmbeddingName = "embedding";

    /// <summary>The pooled embedding.</summary>
    [ColumnName(EmbeddingName)]
    [VectorType]
    public float[] Embedding { get; set; } = [];

    /// <summary>Pools <paramref name="input"/> into <paramref name="output"/>; the hidden size is the embeddings length over the mask length.</summary>
    /// <param name="input">The input row.</param>
    /// <param name="output">The output row.</param>
    /// <param name="normalize">Whether to L2-normalize.</param>
    /// <exception cref="PoolingInputException">The lengths do not fit together.</exception>
    public static void Map(MeanPoolingStockInput input, MeanPoolingStockOutput output, bool normalize)
    {
        int tokens = input.AttentionMask.Length;
        if (tokens == 0 || input.TokenEmbeddings.Length % tokens != 0)
        {
            throw new PoolingInputException(MeanPoolingStockInput.TokenEmbeddingsName, MeanPoolingStockInput.AttentionMaskName,
                $"Token embeddings of length {input.TokenEmbeddings.Length} do not split into {tokens} tokens.");
        }

        var result = new float[input.TokenEmbeddings.Length / tokens];
        MeanPoolingKernel.Pool<long>(input.TokenEmbeddings, input.AttentionMask, result, normalize);
        output.Embedding = result;
    }
}
