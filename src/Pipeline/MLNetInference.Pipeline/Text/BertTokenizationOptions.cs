namespace MLNetInference.Pipeline.Text;

/// <summary>Options of <see cref="BertTokenizationEstimator"/>.</summary>
/// <remarks>
/// Exactly one of <see cref="VocabPath"/> and <see cref="Vocab"/> must be set. The defaults give the inputs of an
/// uncased BERT model such as all-MiniLM-L6-v2: lower-casing, 128 tokens at most, truncation.
/// </remarks>
public sealed class BertTokenizationOptions
{
    /// <summary>The input text column (type <c>String</c>). Required.</summary>
    public string InputColumnName { get; set; } = string.Empty;

    /// <summary>The output column of token ids. Default <c>input_ids</c>.</summary>
    public string InputIdsColumnName { get; set; } = "input_ids";

    /// <summary>The output column of the attention mask. Default <c>attention_mask</c>.</summary>
    public string AttentionMaskColumnName { get; set; } = "attention_mask";

    /// <summary>The output column of the token type ids. Default <c>token_type_ids</c>.</summary>
    public string TokenTypeIdsColumnName { get; set; } = "token_type_ids";

    /// <summary>The path of a WordPiece vocabulary file (<c>vocab.txt</c>, one token per line).</summary>
    public string? VocabPath { get; set; }

    /// <summary>The content of a WordPiece vocabulary file, used instead of <see cref="VocabPath"/>.</summary>
    public ReadOnlyMemory<byte>? Vocab { get; set; }

    /// <summary>Whether to lower-case text and strip accents before tokenization, as uncased models expect. Default <see langword="true"/>.</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>The maximum number of tokens per text, [CLS] and [SEP] included. At least 2; default 128.</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>
    /// Whether a text longer than <see cref="MaxLength"/> tokens throws a <see cref="TextInputException"/>
    /// instead of being truncated to [CLS], its first <see cref="MaxLength"/> − 2 tokens and [SEP]. Default <see langword="false"/>.
    /// </summary>
    public bool ThrowOnOverflow { get; set; }
}
