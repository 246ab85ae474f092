using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Internal.RowMapping;

namespace MLNetInference.Pipeline.Pooling;

/// <summary>
/// Averages a model's token embeddings over the tokens whose attention mask is set, then L2-normalizes the
/// mean: the pooling of sentence-transformers models.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ###  Estimator Characteristics
/// |  |  |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No |
/// | Input column data type | Vector of Single (token embeddings, flattened [sequence, hidden]); vector of Int64, Int32 or Single (attention mask) |
/// | Output column data type | Known-size vector of Single, of the hidden size |
/// | Exportable to ONNX | No |
///
/// The hidden size is the last dimension of the token embeddings column type when it is known (for example
/// dimensions [0, 384], 0 meaning unknown), otherwise <see cref="MeanPoolingOptions.HiddenSize"/>. A row whose
/// embeddings length is not the mask length times the hidden size throws <see cref="PoolingInputException"/>.
/// A row with no unmasked token gives a zero vector.
/// ]]></format>
/// </remarks>
public sealed class MeanPoolingEstimator : IEstimator<MeanPoolingTransformer>
{
    private readonly MeanPoolingOptions _options;

    /// <summary>Creates the estimator.</summary>
    /// <param name="options">The options; they are copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A column name is empty or the hidden size is not positive.</exception>
    public MeanPoolingEstimator(MeanPoolingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.TokenEmbeddingsColumnName, nameof(options.TokenEmbeddingsColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.AttentionMaskColumnName, nameof(options.AttentionMaskColumnName));
        if (options.HiddenSize is { } hidden)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1, nameof(options.HiddenSize));
        }

        _options = new MeanPoolingOptions
        {
            OutputColumnName = options.OutputColumnName,
            TokenEmbeddingsColumnName = options.TokenEmbeddingsColumnName,
            AttentionMaskColumnName = options.AttentionMaskColumnName,
            Normalize = options.Normalize,
            HiddenSize = options.HiddenSize,
        };
    }

    /// <summary>Checks the input schema and returns the transformer; the data is not read.</summary>
    /// <param name="input">The training data; only its schema is used.</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type, or the hidden size is unknown.</exception>
    public MeanPoolingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new MeanPoolingTransformer(_options);
        _ = transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <summary>Returns the schema shape after pooling.</summary>
    /// <param name="inputSchema">The input schema shape.</param>
    /// <returns>The input columns plus the known-size Single vector output column.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputSchema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var embeddings = SchemaChecks.GetShapeColumn(inputSchema, _options.TokenEmbeddingsColumnName, "token embeddings");
        if (embeddings.Kind == SchemaShape.Column.VectorKind.Scalar || embeddings.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{embeddings.Name}': expected a vector of Single, found {embeddings.Kind} of {embeddings.ItemType}.");
        }

        var mask = SchemaChecks.GetShapeColumn(inputSchema, _options.AttentionMaskColumnName, "attention mask");
        if (mask.Kind == SchemaShape.Column.VectorKind.Scalar || !MeanPoolingTransformer.IsMaskItemType(mask.ItemType))
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{mask.Name}': expected a vector of Int64, Int32 or Single, found {mask.Kind} of {mask.ItemType}.");
        }

        // The shape records only that the output is a known-size vector; its size comes with the real schema.
        return SchemaChecks.AppendColumns<MeanPoolingStockOutput>(inputSchema, MeanPoolingTransformer.CreateStockOutputDefinition(_options.OutputColumnName, _options.HiddenSize ?? 1));
    }
}
