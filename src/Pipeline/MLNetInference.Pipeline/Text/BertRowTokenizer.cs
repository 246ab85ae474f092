using MLNetInference.Pipeline.Text.Internal;

namespace MLNetInference.Pipeline.Text;

/// <summary>
/// Tokenizes one text at a time exactly as <see cref="BertTokenizationTransformer"/> does for each row, into a buffer
/// the caller owns: <c>[CLS]</c>, the text's tokens, <c>[SEP]</c>. Created by
/// <see cref="BertTokenizationTransformer.CreateRowTokenizer"/>, for callers that feed the ONNX model without a data
/// view (the serving pool's direct path).
/// </summary>
/// <remarks>
/// The attention mask of a row is <see cref="Tokenize"/>'s count of ones and its token type ids as many zeros. An instance
/// reuses its buffers and is not thread-safe: create one per thread.
/// </remarks>
public sealed class BertRowTokenizer
{
    private readonly BertTokenizationOptions _options;
    private readonly BertTextTokenizer _tokenizer;
    private readonly int _classificationTokenId;
    private readonly int _separatorTokenId;

    internal BertRowTokenizer(BertTokenizationOptions options, WordPieceVocabulary vocabulary)
    {
        _options = options;
        _tokenizer = new BertTextTokenizer(vocabulary, options.LowerCase);
        _classificationTokenId = vocabulary.ClassificationTokenId;
        _separatorTokenId = vocabulary.SeparatorTokenId;
    }

    /// <summary>Gets the most tokens one text gives, [CLS] and [SEP] included: the smallest buffer <see cref="Tokenize"/> accepts.</summary>
    public int MaxLength => _options.MaxLength;

    /// <summary>Writes the token ids of <paramref name="text"/> into <paramref name="inputIds"/>, starting at index 0.</summary>
    /// <param name="text">The text.</param>
    /// <param name="inputIds">The buffer; at least <see cref="MaxLength"/> long.</param>
    /// <returns>The number of ids written, [CLS] and [SEP] included.</returns>
    /// <exception cref="ArgumentException"><paramref name="inputIds"/> is shorter than <see cref="MaxLength"/>.</exception>
    /// <exception cref="TextInputException">The text is empty or has no tokens, or it is too long while overflow throws.</exception>
    public int Tokenize(ReadOnlySpan<char> text, long[] inputIds)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (inputIds.Length < _options.MaxLength)
        {
            throw new ArgumentException($"The id buffer holds {inputIds.Length} ids; it needs MaxLength ({_options.MaxLength}).", nameof(inputIds));
        }

        if (text.IsWhiteSpace())
        {
            ThrowEmpty();
        }

        // The ids go straight into the buffer after [CLS]; without ThrowOnOverflow, tokenization stops once full.
        int capacity = _options.MaxLength - 2;
        int count = _tokenizer.Tokenize(text, inputIds, 1, capacity, countAll: _options.ThrowOnOverflow);
        if (count == 0)
        {
            // Only control or format characters: as empty as whitespace, for the model.
            ThrowEmpty();
        }

        if (count > capacity)
        {
            if (_options.ThrowOnOverflow)
            {
                ThrowTooLong(count + 2);
            }

            count = capacity;
        }

        inputIds[0] = _classificationTokenId;
        inputIds[count + 1] = _separatorTokenId;
        return count + 2;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ThrowEmpty()
        => throw new TextInputException(_options.InputColumnName, $"Input column '{_options.InputColumnName}' holds empty text, or text with no tokens (only whitespace or control characters), which cannot be tokenized. Remove such rows or fill them before tokenization.");

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ThrowTooLong(int tokenCount)
        => throw new TextInputException(_options.InputColumnName, $"Input column '{_options.InputColumnName}' holds text of {tokenCount} tokens ([CLS] and [SEP] included), longer than the maximum length {_options.MaxLength}. Shorten the text, raise MaxLength, or turn ThrowOnOverflow off to truncate.")
        {
            TokenCount = tokenCount,
        };
}
