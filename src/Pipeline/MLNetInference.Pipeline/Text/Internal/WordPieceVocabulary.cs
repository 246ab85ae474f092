using System.Text;
using System.Text.Unicode;
using Microsoft.ML.Tokenizers;

namespace MLNetInference.Pipeline.Text.Internal;

/// <summary>
/// A BERT WordPiece vocabulary (<c>vocab.txt</c>: one token per line, the id is the zero-based line number), loaded
/// by Microsoft.ML.Tokenizers' <see cref="WordPieceTokenizer"/>, which also splits each word into its pieces.
/// Immutable, so one instance serves every cursor.
/// </summary>
internal sealed class WordPieceVocabulary
{
    private const string UnknownToken = "[UNK]";

    /// <summary>
    /// The longest word, in UTF-16 chars, that is handed to the library: BERT's limit is 100 code points, which
    /// <see cref="BertTextTokenizer"/> checks itself, and 100 code points take at most 200 chars.
    /// </summary>
    private const int MaxWordChars = 200;

    /// <summary>The special tokens that BERT tokenizers match in raw text before any normalization.</summary>
    private static readonly string[] s_specialTokens = ["[CLS]", "[SEP]", "[PAD]", "[MASK]", UnknownToken];

    private readonly WordPieceTokenizer _tokenizer;
    private readonly (string Token, int Id)[] _specials;

    private WordPieceVocabulary(WordPieceTokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        UnknownTokenId = tokenizer.UnknownTokenId;
        ClassificationTokenId = GetRequired("[CLS]");
        SeparatorTokenId = GetRequired("[SEP]");

        var specials = new List<(string, int)>();
        foreach (var token in s_specialTokens)
        {
            if (TryGetId(token, out int id))
            {
                specials.Add((token, id));
            }
        }

        _specials = [.. specials];
    }

    /// <summary>The id of <c>[CLS]</c>.</summary>
    public int ClassificationTokenId { get; }

    /// <summary>The id of <c>[SEP]</c>.</summary>
    public int SeparatorTokenId { get; }

    /// <summary>The id of <c>[UNK]</c>.</summary>
    public int UnknownTokenId { get; }

    /// <summary>Parses a <c>vocab.txt</c> file.</summary>
    /// <param name="vocab">The UTF-8 file content.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="ArgumentException">The content is not UTF-8, or lacks <c>[CLS]</c>, <c>[SEP]</c> or <c>[UNK]</c>.</exception>
    public static WordPieceVocabulary Parse(byte[] vocab)
    {
        if (!Utf8.IsValid(vocab))
        {
            throw new ArgumentException("The vocabulary is not valid UTF-8.", nameof(vocab));
        }

        var lines = Lines(Encoding.UTF8.GetString(vocab));
        if (!lines.Contains(UnknownToken))
        {
            throw MissingToken(UnknownToken);
        }

        // As BERT's load_vocab, a repeated token keeps its last id; the library refuses repeated tokens, so the
        // earlier lines of such a token are emptied, which keeps every line number (the library skips empty lines).
        if (RemoveEarlierDuplicates(lines))
        {
            vocab = Encoding.UTF8.GetBytes(string.Join('\n', lines));
        }

        using var stream = new MemoryStream(vocab, writable: false);
        var tokenizer = WordPieceTokenizer.Create(stream, new WordPieceOptions
        {
            UnknownToken = UnknownToken,
            ContinuingSubwordPrefix = "##",
            MaxInputCharsPerWord = MaxWordChars,
        });
        return new WordPieceVocabulary(tokenizer);
    }

    /// <summary>Splits one word greedily into the longest vocabulary pieces, as WordPiece.</summary>
    /// <param name="word">The word: normalized, without white space, at most 100 code points.</param>
    /// <returns>The piece ids, or the single <c>[UNK]</c> id when some part of the word matches no piece.</returns>
    public IReadOnlyList<int> EncodeWord(ReadOnlySpan<char> word)
        => _tokenizer.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false);

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

    /// <summary>Looks a whole token up: it is in the vocabulary when WordPiece encodes it as one piece that is not [UNK].</summary>
    private bool TryGetId(string token, out int id)
    {
        var ids = EncodeWord(token);
        id = ids.Count == 1 ? ids[0] : -1;
        return id >= 0 && (id != UnknownTokenId || token == UnknownToken);
    }

    private int GetRequired(string token) => TryGetId(token, out int id) ? id : throw MissingToken(token);

    private static ArgumentException MissingToken(string token)
        => new($"The vocabulary has no '{token}' token; it is not a BERT WordPiece vocabulary.", "vocab");

    /// <summary>Empties every line whose token a later line repeats; says whether there was any.</summary>
    private static bool RemoveEarlierDuplicates(List<string> lines)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool repeated = false;
        for (int i = lines.Count - 1; i >= 0; i--)
        {
            if (lines[i].Length > 0 && !seen.Add(lines[i]))
            {
                lines[i] = string.Empty;
                repeated = true;
            }
        }

        return repeated;
    }

    /// <summary>The lines as the library's <see cref="StreamReader.ReadLine"/> reads them, after any byte order mark.</summary>
    private static List<string> Lines(string text)
    {
        var lines = new List<string>();
        using var reader = new StringReader(text.StartsWith('\uFEFF') ? text[1..] : text);
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }
}
