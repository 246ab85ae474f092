using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Internal.RowMapping;

namespace MLNetInference.Pipeline.Text;

/// <summary>
/// Tokenizes a text column with a BERT WordPiece vocabulary into the three inputs of a BERT-style model.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ###  Estimator Characteristics
/// |  |  |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No |
/// | Input column data type | String |
/// | Output column data type | Variable-length vectors of Int64: `input_ids`, `attention_mask`, `token_type_ids` |
/// | Exportable to ONNX | No |
///
/// Each text becomes `[CLS] tokens [SEP]` at its own length (no padding); the attention mask is all ones and the
/// token type ids all zeros. Text longer than the maximum length is truncated to `[CLS]`, its first tokens and
/// `[SEP]`, or throws a <see cref="TextInputException"/> when overflow is set to throw; empty or whitespace text
/// throws a <see cref="TextInputException"/> naming the column.
/// ]]></format>
/// </remarks>
public sealed class BertTokenizationEstimator : IEstimator<BertTokenizationTransformer>
{
    private readonly BertTokenizationOptions _options;
    private readonly byte[] _vocab;

    /// <summary>Creates the estimator and loads the vocabulary.</summary>
    /// <param name="options">The options; they are copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are invalid or the vocabulary cannot be read.</exception>
    public BertTokenizationEstimator(BertTokenizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputColumnName, nameof(options.InputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.InputIdsColumnName, nameof(options.InputIdsColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.AttentionMaskColumnName, nameof(options.AttentionMaskColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.TokenTypeIdsColumnName, nameof(options.TokenTypeIdsColumnName));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxLength, 2, nameof(options.MaxLength));
        if (string.Equals(options.InputIdsColumnName, options.AttentionMaskColumnName, StringComparison.Ordinal)
            || string.Equals(options.InputIdsColumnName, options.TokenTypeIdsColumnName, StringComparison.Ordinal)
            || string.Equals(options.AttentionMaskColumnName, options.TokenTypeIdsColumnName, StringComparison.Ordinal))
        {
            throw new ArgumentException("The three output column names must differ.", nameof(options));
        }

        _vocab = ReadVocab(options);
        _options = new BertTokenizationOptions
        {
            InputColumnName = options.InputColumnName,
            InputIdsColumnName = options.InputIdsColumnName,
            AttentionMaskColumnName = options.AttentionMaskColumnName,
            TokenTypeIdsColumnName = options.TokenTypeIdsColumnName,
            LowerCase = options.LowerCase,
            MaxLength = options.MaxLength,
            ThrowOnOverflow = options.ThrowOnOverflow,
        };

        // Build the tokenizer once here, so that a bad vocabulary fails at construction, not at the first row.
        _ = BertTokenizationTransformer.CreateVocabulary(_vocab);
    }

    /// <summary>Checks the input schema and returns the transformer; the data is not read.</summary>
    /// <param name="input">The training data; only its schema is used.</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not text.</exception>
    public BertTokenizationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new BertTokenizationTransformer(_options, _vocab);
        _ = transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <summary>Returns the schema shape after tokenization.</summary>
    /// <param name="inputSchema">The input schema shape.</param>
    /// <returns>The input columns plus the three variable-length Int64 vector columns.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inputSchema"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not a text scalar.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var column = SchemaChecks.GetShapeColumn(inputSchema, _options.InputColumnName, "text");
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Schema mismatch for input column '{_options.InputColumnName}': expected String, found {column.Kind} of {column.ItemType}.");
        }

        return SchemaChecks.AppendColumns<BertTokenizationStockOutput>(inputSchema, BertTokenizationTransformer.CreateStockOutputDefinition(_options));
    }

    private static byte[] ReadVocab(BertTokenizationOptions options)
    {
        if (options.Vocab is { } vocab)
        {
            if (options.VocabPath is not null)
            {
                throw new ArgumentException("Set either VocabPath or Vocab, not both.", nameof(options));
            }

            if (vocab.IsEmpty)
            {
                throw new ArgumentException("The vocabulary is empty.", nameof(options));
            }

            return vocab.ToArray();
        }

        if (string.IsNullOrWhiteSpace(options.VocabPath))
        {
            throw new ArgumentException("Set VocabPath or Vocab to a WordPiece vocabulary (vocab.txt).", nameof(options));
        }

        try
        {
            return File.ReadAllBytes(options.VocabPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Cannot read the vocabulary file '{options.VocabPath}': {ex.Message}", nameof(options), ex);
        }
    }
}
