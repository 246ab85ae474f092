using Microsoft.Extensions.AI;

namespace MLNetInference.Serving.Embeddings;

/// <summary>Exposes a model of a <see cref="PredictionEnginePool{TData, TPrediction}"/> as Microsoft.Extensions.AI's embedding generator.</summary>
public static class PredictionEnginePoolEmbeddingGeneratorExtensions
{
    /// <summary>
    /// Gets an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over one model of the pool. Register it with
    /// Microsoft.Extensions.AI's builder, which composes its middleware in front:
    /// <c>services.AddEmbeddingGenerator(sp =&gt; sp.GetRequiredService&lt;PredictionEnginePool&lt;TData, TPrediction&gt;&gt;().AsIEmbeddingGenerator(...)).UseDistributedCache().UseLogging()</c>.
    /// </summary>
    /// <typeparam name="TData">The pool's input row type.</typeparam>
    /// <typeparam name="TPrediction">The pool's prediction row type.</typeparam>
    /// <param name="pool">The pool.</param>
    /// <param name="modelName">The model's name in the pool; empty for the default model.</param>
    /// <param name="createInput">Makes the pool's input row from one text.</param>
    /// <param name="readEmbedding">Reads the embedding from the pool's prediction row.</param>
    /// <returns>The generator; it does not own the pool.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ModelUnavailableException">The pool has no model of that name.</exception>
    public static IEmbeddingGenerator<string, Embedding<float>> AsIEmbeddingGenerator<TData, TPrediction>(
        this PredictionEnginePool<TData, TPrediction> pool,
        string modelName,
        Func<string, TData> createInput,
        Func<TPrediction, ReadOnlyMemory<float>> readEmbedding)
        where TData : class
        where TPrediction : class, new()
        => new PredictionEnginePoolEmbeddingGenerator<TData, TPrediction>(pool, modelName, createInput, readEmbedding);
}
