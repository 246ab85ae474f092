using System.Text;

namespace MLNetInference.Text.Internal;

/// <summary>
/// A BERT WordPiece vocabulary (<c>vocab.txt</c>: one token per line, the id is the zero-based line number), with
/// allocation-free look-up by span. Immutable, so one instance serves every cursor.
/// </summary>
internal sealed class WordPieceVocabulary
{
    /// <summary>The special tokens that BERT tokenizers match in raw text before any normalization.</summary>
    private static readonly string[] s_specialTokens = ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"];

    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly (string Token, int Id)[] _specials;

    private WordPieceVocabulary(Dictionary<string, int> ids)
    {
        _ids = ids;
        _lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        ClassificationTokenId = GetRequired(ids, "[CLS]");
        SeparatorTokenId = GetRequired(ids, "[SEP]");
        UnknownTokenId = GetRequired(ids, "[UNK]");

        var specials = new List<(string, int)>();
        foreach (var token in s_specialTokens)
        {
            if (ids.TryGetValue(token, out int id))
            {
                specials.Add((token, id));
            }
        }

        _specials = [.. specials];
        foreach (var token in ids.Keys)
        {
            MaxTokenLength = Math.Max(MaxTokenLength, token.Length);
        }
    }

    /// <summary>The id of <c>[CLS]</c>.</summary>
    public int ClassificationTokenId { get; }

    /// <summary>The id of <c>[SEP]</c>.</summary>
    public int SeparatorTokenId { get; }

    /// <summary>The id of <c>[UNK]</c>.</summary>
    public int UnknownTokenId { get; }

    /// <summary>The length in UTF-16 chars of the longest token, <c>##</c> prefix included.</summary>
    public int MaxTokenLength { get; }

    /// <summary>The number of distinct tokens.</summary>
    public int Count => _ids.Count;

    /// <summary>Parses a <c>vocab.txt</c> file.</summary>
    /// <param name="vocab">The UTF-8 file content.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="ArgumentException">The content is not UTF-8, or lacks <c>[CLS]</c>, <c>[SEP]</c> or <c>[UNK]</c>.</exception>
    public static WordPieceVocabulary Parse(ReadOnlySpan<byte> vocab)
    {
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(vocab);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ArgumentException($"The vocabulary is not valid UTF-8: {ex.Message}", nameof(vocab), ex);
        }

        var span = text.AsSpan();
        if (span.Length > 0 && span[0] == '\uFEFF')
        {
            span = span[1..];
        }

        // As BERT's load_vocab: the id is the line number; a repeated token keeps its last id. A final line break
        // does not start another token.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        int id = 0;
        while (span.Length > 0)
        {
            int end = span.IndexOf('\n');
            var line = end < 0 ? span : span[..end];
            if (line.Length > 0 && line[^1] == '\r')
            {
                line = line[..^1];
            }

            lookup[line] = id++;
            span = end < 0 ? [] : span[(end + 1)..];
        }

        return new WordPieceVocabulary(ids);
    }

    /// <summary>Looks a token up.</summary>
    /// <param name="token">The token, with its <c>##</c> prefix if it continues a word.</param>
    /// <param name="id">The token id, when found.</param>
    /// <returns>Whether the vocabulary holds the token.</returns>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _lookup.TryGetValue(token, out id);

    /// <summary>Matches a special token such as <c>[CLS]</c> at the start of <paramref name="text"/>.</summary>
    /// <param name="text">Raw text that starts with <c>[</c>.</param>
    /// <param name="length">The length of the matched token.</param>
    /// <param name="id">The id of the matched token.</param>
    /// <returns>Whether a special token starts <paramref name="text"/>.</returns>
    public bool TryMatchSpecial(ReadOnlySpan<char> text, out int length, out int id)
    {
        foreach (var (token, tokenId) in _specials)
        {
            if (text.StartsWith(token, StringComparison.Ordinal))
            {
                length = token.Length;
                id = tokenId;
                return true;
            }
        }

        length = 0;
        id = 0;
        return false;
    }

    private static int GetRequired(Dictionary<string, int> ids, string token)
        => ids.TryGetValue(token, out int id)
            ? id
            : throw new ArgumentException($"The vocabulary has no '{token}' token; it is not a BERT WordPiece vocabulary.", "vocab");
}
