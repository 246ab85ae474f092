using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace MLNetInference.Pipeline.Text.Internal;

/// <summary>
/// BERT's reference tokenization, BasicTokenizer then WordPiece, into reusable buffers. One instance per cursor: it
/// is not thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// As BERT's <c>tokenization.py</c> (and Hugging Face's BertTokenizer): special tokens such as <c>[CLS]</c> written in
/// the raw text are kept whole; U+0000, U+FFFD and control characters (categories C*, except tab, line feed and
/// carriage return) are removed; white space (category Zs, line and paragraph separators, tab, line feed, carriage
/// return) separates words; each CJK ideograph and each punctuation character (categories P*, and every ASCII
/// character that is neither a letter nor a digit, such as <c>$ + &lt; = &gt; ^ ` | ~</c>) is a word of its own.
/// When lower-casing, the text is lower-cased, decomposed (NFD), and its non-spacing marks (Mn) are dropped.
/// Other symbols (<c>°</c>, <c>€</c>, emoji) are not punctuation for BERT: they stay inside their word.
/// </para>
/// <para>
/// Each word of more than 100 code points is <c>[UNK]</c>; any other word is split by Microsoft.ML.Tokenizers'
/// WordPiece (see <see cref="WordPieceVocabulary"/>) greedily into the longest vocabulary pieces, <c>##</c> marking
/// the pieces after the first, and is <c>[UNK]</c> as a whole when some part of it matches no piece.
/// </para>
/// </remarks>
internal sealed class BertTextTokenizer
{
    private const int MaxInputCharsPerWord = 100;

    private readonly WordPieceVocabulary _vocab;
    private readonly bool _lowerCase;

    // PERF: every buffer is reused from row to row and grows only for longer text; the library's WordPiece step
    // allocates one small list per word.
    private char[] _lowered = [];
    private char[] _normalized = [];
    private char[] _word = new char[64];
    private int _wordLength;
    private int _wordCodePoints;

    private long[] _destination = [];
    private int _offset;
    private int _capacity;
    private bool _countAll;
    private int _count;

    public BertTextTokenizer(WordPieceVocabulary vocab, bool lowerCase)
    {
        _vocab = vocab;
        _lowerCase = lowerCase;
    }

    /// <summary>Tokenizes <paramref name="text"/> into token ids, without [CLS] and [SEP].</summary>
    /// <param name="text">The text.</param>
    /// <param name="destination">The buffer that receives the ids.</param>
    /// <param name="offset">Where the first id goes in <paramref name="destination"/>.</param>
    /// <param name="capacity">How many ids at most are written.</param>
    /// <param name="countAll">
    /// Whether to go on counting the tokens past <paramref name="capacity"/>; when <see langword="false"/>,
    /// tokenization stops at the first word boundary once <paramref name="capacity"/> is reached.
    /// </param>
    /// <returns>The number of tokens: exact when <paramref name="countAll"/> or when within <paramref name="capacity"/>, else at least <paramref name="capacity"/>.</returns>
    public int Tokenize(ReadOnlySpan<char> text, long[] destination, int offset, int capacity, bool countAll)
    {
        _destination = destination;
        _offset = offset;
        _capacity = capacity;
        _countAll = countAll;
        _count = 0;
        _wordLength = 0;
        _wordCodePoints = 0;

        // Special tokens are matched in the raw text, before normalization, as BERT tokenizers do.
        int start = 0;
        int searchFrom = 0;
        while (!IsDone)
        {
            int bracket = text[searchFrom..].IndexOf('[');
            if (bracket < 0)
            {
                break;
            }

            bracket += searchFrom;
            if (_vocab.TryMatchSpecial(text[bracket..], out int length, out int id))
            {
                TokenizeSegment(text[start..bracket]);
                Emit(id);
                start = searchFrom = bracket + length;
            }
            else
            {
                searchFrom = bracket + 1;
            }
        }

        if (!IsDone)
        {
            TokenizeSegment(text[start..]);
        }

        _destination = [];
        return _count;
    }

    private bool IsDone => !_countAll && _count >= _capacity;

    private void TokenizeSegment(ReadOnlySpan<char> segment)
    {
        if (_lowerCase && !Ascii.IsValid(segment))
        {
            segment = LowerCaseAndDecompose(segment);
        }

        int i = 0;
        while (i < segment.Length)
        {
            char c = segment[i];
            if (char.IsAscii(c))
            {
                // PERF: ASCII, nearly all of English text, is classified without a Unicode category look-up.
                i++;
                if (char.IsAsciiLetterOrDigit(c))
                {
                    // Setting bit 0x20 lower-cases an ASCII letter and keeps a digit.
                    AppendToWord(_lowerCase ? (char)(c | 0x20) : c);
                }
                else if (c is ' ' or '\t' or '\n' or '\r')
                {
                    if (EndWord())
                    {
                        return;
                    }
                }
                else if (c < ' ' || c == '\x7F')
                {
                    // Control character: removed.
                }
                else if (EmitSingle(c))
                {
                    // Every other printable ASCII character is punctuation for BERT.
                    return;
                }

                continue;
            }

            if (Rune.DecodeFromUtf16(segment[i..], out var rune, out int consumed) != OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
                consumed = Math.Max(consumed, 1);
            }

            i += consumed;
            var category = Rune.GetUnicodeCategory(rune);
            if (rune == Rune.ReplacementChar || IsRemoved(category) || (_lowerCase && category == UnicodeCategory.NonSpacingMark))
            {
                continue;
            }

            if (category is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                if (EndWord())
                {
                    return;
                }
            }
            else if (IsPunctuation(category) || IsCjkIdeograph(rune.Value))
            {
                if (EmitSingle(segment.Slice(i - consumed, consumed)))
                {
                    return;
                }
            }
            else
            {
                AppendToWord(segment.Slice(i - consumed, consumed));
            }
        }

        _ = EndWord();
    }

    private ReadOnlySpan<char> LowerCaseAndDecompose(ReadOnlySpan<char> segment)
    {
        if (_lowered.Length < segment.Length)
        {
            _lowered = new char[segment.Length];
        }

        int loweredLength = segment.ToLowerInvariant(_lowered);
        var lowered = _lowered.AsSpan(0, loweredLength);
        if (_normalized.Length < (3 * lowered.Length) + 8)
        {
            _normalized = new char[(3 * lowered.Length) + 8];
        }

        if (!lowered.TryNormalize(_normalized, out int written, NormalizationForm.FormD))
        {
            return DecomposeLong(lowered);
        }

        return _normalized.AsSpan(0, written);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ReadOnlySpan<char> DecomposeLong(ReadOnlySpan<char> lowered)
    {
        _normalized = new char[lowered.GetNormalizedLength(NormalizationForm.FormD)];
        _ = lowered.TryNormalize(_normalized, out int written, NormalizationForm.FormD);
        return _normalized.AsSpan(0, written);
    }

    private void AppendToWord(char c)
    {
        if (_word.Length == _wordLength)
        {
            GrowWord(1);
        }

        _word[_wordLength++] = c;
        _wordCodePoints++;
    }

    private void AppendToWord(ReadOnlySpan<char> rune)
    {
        if (_word.Length < _wordLength + rune.Length)
        {
            GrowWord(rune.Length);
        }

        rune.CopyTo(_word.AsSpan(_wordLength));
        _wordLength += rune.Length;
        _wordCodePoints++;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowWord(int extra) => Array.Resize(ref _word, Math.Max(_word.Length * 2, _wordLength + extra));

    /// <summary>Ends the current word, makes <paramref name="c"/> a word of its own, and says whether to stop.</summary>
    private bool EmitSingle(char c)
    {
        _ = EndWord();
        AppendToWord(c);
        return EndWord();
    }

    /// <summary>Ends the current word, makes <paramref name="rune"/> a word of its own, and says whether to stop.</summary>
    private bool EmitSingle(ReadOnlySpan<char> rune)
    {
        _ = EndWord();
        AppendToWord(rune);
        return EndWord();
    }

    /// <summary>Splits the current word into WordPiece tokens, if there is one, and says whether to stop.</summary>
    private bool EndWord()
    {
        if (_wordLength == 0)
        {
            return IsDone;
        }

        int length = _wordLength;
        int codePoints = _wordCodePoints;
        _wordLength = 0;
        _wordCodePoints = 0;
        if (codePoints > MaxInputCharsPerWord)
        {
            Emit(_vocab.UnknownTokenId);
            return IsDone;
        }

        var ids = _vocab.EncodeWord(_word.AsSpan(0, length));
        for (int i = 0; i < ids.Count; i++)
        {
            Emit(ids[i]);
        }

        return IsDone;
    }

    private void Emit(int id)
    {
        if (_count < _capacity)
        {
            _destination[_offset + _count] = id;
        }

        _count++;
    }

    private static bool IsRemoved(UnicodeCategory category)
        => category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;

    private static bool IsPunctuation(UnicodeCategory category)
        => category is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
            or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation;

    /// <summary>The CJK Unified Ideographs blocks that BERT splits into single characters.</summary>
    private static bool IsCjkIdeograph(int cp)
        => (cp >= 0x4E00 && cp <= 0x9FFF)
            || (cp >= 0x3400 && cp <= 0x4DBF)
            || (cp >= 0x20000 && cp <= 0x2A6DF)
            || (cp >= 0x2A700 && cp <= 0x2B73F)
            || (cp >= 0x2B740 && cp <= 0x2B81F)
            || (cp >= 0x2B820 && cp <= 0x2CEAF)
            || (cp >= 0xF900 && cp <= 0xFAFF)
            || (cp >= 0x2F800 && cp <= 0x2FA1F);
}
