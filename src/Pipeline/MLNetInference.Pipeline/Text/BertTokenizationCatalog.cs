using MLNetInference.Pipeline.Text;

namespace Microsoft.ML;

/// <summary>Extensions on <see cref="TransformsCatalog"/> that add BERT WordPiece tokenization.</summary>
public static class BertTokenizationCatalog
{
    /// <summary>Creates a <see cref="BertTokenizationEstimator"/> that turns a text column into BERT model inputs.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">The options; they are copied.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="catalog"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are invalid or the vocabulary cannot be read.</exception>
    public static BertTokenizationEstimator TokenizeForBert(this TransformsCatalog catalog, BertTokenizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new BertTokenizationEstimator(options);
    }

    /// <summary>Creates a <see cref="BertTokenizationEstimator"/> from a vocabulary file.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="inputColumnName">The input text column.</param>
    /// <param name="vocabPath">The path of the WordPiece vocabulary file.</param>
    /// <param name="maxLength">The maximum number of tokens, [CLS] and [SEP] included.</param>
    /// <param name="lowerCase">Whether to lower-case and strip accents first.</param>
    /// <param name="throwOnOverflow">Whether too-long text throws instead of being truncated.</param>
    /// <returns>The estimator.</returns>
    /// <remarks>The outputs are named <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c>.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An argument is invalid or the vocabulary cannot be read.</exception>
    public static BertTokenizationEstimator TokenizeForBert(
        this TransformsCatalog catalog,
        string inputColumnName,
        string vocabPath,
        int maxLength = 128,
        bool lowerCase = true,
        bool throwOnOverflow = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(vocabPath);
        return new BertTokenizationEstimator(new BertTokenizationOptions
        {
            InputColumnName = inputColumnName,
            VocabPath = vocabPath,
            MaxLength = maxLength,
            LowerCase = lowerCase,
            ThrowOnOverflow = throwOnOverflow,
        });
    }

    /// <summary>Creates a <see cref="BertTokenizationEstimator"/> from a vocabulary stream.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="inputColumnName">The input text column.</param>
    /// <param name="vocab">A readable stream with the WordPiece vocabulary; it is read to the end and not disposed.</param>
    /// <param name="maxLength">The maximum number of tokens, [CLS] and [SEP] included.</param>
    /// <param name="lowerCase">Whether to lower-case and strip accents first.</param>
    /// <param name="throwOnOverflow">Whether too-long text throws instead of being truncated.</param>
    /// <returns>The estimator.</returns>
    /// <remarks>The outputs are named <c>input_ids</c>, <c>attention_mask</c> and <c>token_type_ids</c>.</remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An argument is invalid or the vocabulary cannot be read.</exception>
    public static BertTokenizationEstimator TokenizeForBert(
        this TransformsCatalog catalog,
        string inputColumnName,
        Stream vocab,
        int maxLength = 128,
        bool lowerCase = true,
        bool throwOnOverflow = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(vocab);
        using var copy = new MemoryStream();
        vocab.CopyTo(copy);
        return new BertTokenizationEstimator(new BertTokenizationOptions
        {
            InputColumnName = inputColumnName,
            Vocab = copy.ToArray(),
            MaxLength = maxLength,
            LowerCase = lowerCase,
            ThrowOnOverflow = throwOnOverflow,
        });
    }
}
