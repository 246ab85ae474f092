using Microsoft.Extensions.AI;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Core;
using MLNetInference.Serving.Internal;

namespace MLNetInference.Serving.Embeddings;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over one model of a
/// <see cref="PredictionEnginePool{TData, TPrediction}"/>: each text of a call becomes one request in the model's
/// cross-request batcher, so the texts of concurrent callers share batches.
/// </summary>
/// <typeparam name="TData">The pool's input row type.</typeparam>
/// <typeparam name="TPrediction">The pool's prediction row type.</typeparam>
/// <remarks>
/// <para>Create it with <see cref="PredictionEnginePoolEmbeddingGeneratorExtensions.AsIEmbeddingGenerator"/> and register
/// it with Microsoft.Extensions.AI's <c>services.AddEmbeddingGenerator(...)</c>, whose builder adds caching, logging and
/// OpenTelemetry in front of it.</para>
/// <para>The generator does not own the pool: disposing it does nothing, and the container disposes the pool.</para>
/// <para><see cref="EmbeddingGenerationOptions.ModelId"/>, when set, names another model of the same pool.
/// <see cref="EmbeddingGenerationOptions.Dimensions"/>, when set, must equal what the model produces.</para>
/// </remarks>
public sealed class PredictionEnginePoolEmbeddingGenerator<TData, TPrediction> : IEmbeddingGenerator<string, Embedding<float>>
    where TData : class
    where TPrediction : class, new()
{
    /// <summary>The provider name reported in <see cref="EmbeddingGeneratorMetadata"/>.</summary>
    public const string ProviderName = "mlnetinference";

    private readonly PredictionEnginePool<TData, TPrediction> _pool;
    private readonly string _modelName;
    private readonly Func<string, TData> _createInput;
    private readonly Func<TPrediction, ReadOnlyMemory<float>> _readEmbedding;
    private readonly EmbeddingGeneratorMetadata _metadata;

    /// <summary>Creates the generator over one model of a pool.</summary>
    /// <param name="pool">The pool that serves the model.</param>
    /// <param name="modelName">The model's name in the pool; empty for the default model.</param>
    /// <param name="createInput">Makes the pool's input row from one text.</param>
    /// <param name="readEmbedding">Reads the embedding from the pool's prediction row.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ModelUnavailableException">The pool has no model of that name.</exception>
    public PredictionEnginePoolEmbeddingGenerator(
        PredictionEnginePool<TData, TPrediction> pool,
        string modelName,
        Func<string, TData> createInput,
        Func<TPrediction, ReadOnlyMemory<float>> readEmbedding)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(createInput);
        ArgumentNullException.ThrowIfNull(readEmbedding);
        _ = pool.GetStatus(modelName); // PERF: not a load; it fails now, naming the registered models, if the name is wrong.
        _pool = pool;
        _modelName = modelName;
        _createInput = createInput;
        _readEmbedding = readEmbedding;
        ModelId = PoolRegistrations<TData, TPrediction>.DisplayName(modelName);
        Dimensions = FindDimensions(pool, modelName);
        _metadata = new EmbeddingGeneratorMetadata(ProviderName, providerUri: null, ModelId, Dimensions);
    }

    /// <summary>Gets the model id this generator reports: the pool's model name, or <c>(default)</c> for the default model.</summary>
    public string ModelId { get; }

    /// <summary>Gets the length of the embeddings, when the model or <typeparamref name="TPrediction"/> declares it.</summary>
    public int? Dimensions { get; }

    /// <summary>Embeds texts: each joins the model's batch queue as one request, and the call completes when all have run.</summary>
    /// <param name="values">The texts; none may be <see langword="null"/>, empty or white space.</param>
    /// <param name="options">Optional: <see cref="EmbeddingGenerationOptions.ModelId"/> picks another model of the pool.</param>
    /// <param name="cancellationToken">Withdraws the texts still queued; a batch already running finishes without them.</param>
    /// <returns>One embedding per text, in input order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidInputException">A text is <see langword="null"/>, empty or white space, or fails the pool's validation.</exception>
    /// <exception cref="NotSupportedException"><see cref="EmbeddingGenerationOptions.Dimensions"/> asks for a length the model does not produce.</exception>
    /// <exception cref="QueueFullException">The model's queue is full.</exception>
    /// <exception cref="ModelUnavailableException">The model is not loaded, or the pool is shutting down.</exception>
    /// <exception cref="PredictionTimeoutException">A text did not complete within the model's request timeout.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        cancellationToken.ThrowIfCancellationRequested();
        var modelName = options?.ModelId is { } requested && requested != ModelId ? requested : _modelName;
        if (options?.Dimensions is { } wanted && modelName == _modelName && Dimensions is { } known && wanted != known)
        {
            throw DimensionsNotSupported(wanted, known);
        }

        var inputs = new List<TData>(values is ICollection<string> c ? c.Count : 8);
        foreach (var text in values)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new InvalidInputException(nameof(values), $"Text {inputs.Count} is {(text is null ? "null" : "empty or white space")}; every text to embed must hold at least one word.", inputs.Count);
            }

            inputs.Add(_createInput(text));
        }

        if (inputs.Count == 0)
        {
            return [];
        }

        // Each text is one request in the batcher, so concurrent callers' texts share batches.
        var predictions = await _pool.PredictBatchAsync(modelName, inputs, cancellationToken).ConfigureAwait(false);
        var createdAt = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(predictions.Length);
        var reportedModel = PoolRegistrations<TData, TPrediction>.DisplayName(modelName);
        foreach (var prediction in predictions)
        {
            var vector = _readEmbedding(prediction);
            if (options?.Dimensions is { } length && length != vector.Length)
            {
                throw DimensionsNotSupported(length, vector.Length);
            }

            result.Add(new Embedding<float>(vector) { ModelId = reportedModel, CreatedAt = createdAt });
        }

        return result;
    }

    /// <summary>Returns the generator's <see cref="EmbeddingGeneratorMetadata"/>, the pool, or the generator itself, by type.</summary>
    /// <param name="serviceType">The type asked for.</param>
    /// <param name="serviceKey">A key; this generator serves only unkeyed requests.</param>
    /// <returns>The service, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="serviceType"/> is <see langword="null"/>.</exception>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return _metadata;
        }

        if (serviceType.IsInstanceOfType(_pool))
        {
            return _pool;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the pool belongs to its container.</summary>
    public void Dispose()
    {
    }

    private NotSupportedException DimensionsNotSupported(int wanted, int actual)
        => new($"Model '{ModelId}' produces embeddings of {actual} dimensions and cannot produce {wanted}; leave EmbeddingGenerationOptions.Dimensions unset or set it to {actual}.");

    /// <summary>The length of the one float vector member of <typeparamref name="TPrediction"/>: from the model's output schema, else its declared size.</summary>
    private static int? FindDimensions(PredictionEnginePool<TData, TPrediction> pool, string modelName)
    {
        var candidates = new List<int?>();
        DataViewSchema? output = null;
        try
        {
            var ml = new MLContext();
            var input = ml.Data.LoadFromEnumerable(Array.Empty<TData>(), SchemaDefinition.Create(typeof(TData)));
            output = pool.GetModel(modelName).GetOutputSchema(input.Schema);
        }
        catch (Exception ex) when (ex is ModelUnavailableException or InvalidOperationException or ArgumentException)
        {
            // Not loaded, or the schema cannot be computed: fall back to the declared size.
        }

        foreach (var column in SchemaDefinition.Create(typeof(TPrediction), SchemaDefinition.Direction.Write))
        {
            if (column.ColumnType is not VectorDataViewType { ItemType: NumberDataViewType } declared || declared.ItemType.RawType != typeof(float))
            {
                continue;
            }

            var size = output?.GetColumnOrNull(column.ColumnName)?.Type is VectorDataViewType { Size: > 0 } served ? served.Size : declared.Size;
            candidates.Add(size > 0 ? size : null);
        }

        return candidates.Count == 1 ? candidates[0] : null;
    }
}
