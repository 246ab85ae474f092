using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetInference.Models;

namespace MLNetInference.Tuning.Tests;

[TestClass]
public sealed class TuningSamplesTests
{
    [TestMethod]
    public void FromSentences_MiniLmVocabulary_GivesBertInputsWithSpecialTokens()
    {
        var feeds = TuningSamples.FromSentences(["The model is fast.", "", "A second, longer sentence about inference."], ModelPaths.MiniLmVocab);

        Assert.HasCount(2, feeds);
        var ids = (long[])feeds[0]["input_ids"].Data;
        Assert.AreEqual(101L, ids[0], "[CLS]");
        Assert.AreEqual(102L, ids[^1], "[SEP]");
        CollectionAssert.AreEqual(new long[] { 1, ids.Length }, feeds[0]["attention_mask"].Shape);
        Assert.IsTrue(((long[])feeds[0]["attention_mask"].Data).All(v => v == 1));
        Assert.IsTrue(((long[])feeds[0]["token_type_ids"].Data).All(v => v == 0));
    }

    [TestMethod]
    public void FromSentences_LongSentence_IsCutAndStillEndsWithSeparator()
    {
        var feeds = TuningSamples.FromSentences([string.Join(' ', Enumerable.Repeat("inference", 300))], ModelPaths.MiniLmVocab, maxTokens: 16);

        var ids = (long[])feeds[0]["input_ids"].Data;
        Assert.HasCount(16, ids);
        Assert.AreEqual(102L, ids[^1]);
    }

    [TestMethod]
    public void FromSentences_SentencesWithSymbols_GiveTheIdsTheServedPipelineSees()
    {
        string[] sentences = ["Total: $5 + $3 = $8.", "If a < b and b > c, then a < c.", "x=y+z<w>v"];

        var feeds = TuningSamples.FromSentences(sentences, ModelPaths.MiniLmVocab);

        // What the served pipeline sees: the ids of its first stage, TokenizeForBert (EmbedSentences' tokenizer).
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new TextRow { Text = s }));
        var served = ml.Transforms.TokenizeForBert(nameof(TextRow.Text), ModelPaths.MiniLmVocab).Fit(data).Transform(data);
        var servedIds = served.GetColumn<long[]>("input_ids").ToList();
        Assert.HasCount(sentences.Length, feeds);
        for (var i = 0; i < sentences.Length; i++)
        {
            CollectionAssert.AreEqual(servedIds[i], (long[])feeds[i]["input_ids"].Data, $"sentence {i}: '{sentences[i]}'");
            CollectionAssert.AreEqual(new long[] { 1, servedIds[i].Length }, feeds[i]["input_ids"].Shape);
        }

        var vocabulary = File.ReadAllLines(ModelPaths.MiniLmVocab);
        foreach (var symbol in new[] { "$", "=", "+", "<", ">" })
        {
            long id = Array.IndexOf(vocabulary, symbol);
            Assert.IsTrue(feeds.Any(f => ((long[])f["input_ids"].Data).Contains(id)), $"'{symbol}' (id {id}) should reach the model");
        }
    }

    [TestMethod]
    public void FromSentences_MissingVocabulary_ThrowsArgumentException()
        => Assert.ThrowsExactly<ArgumentException>(() => TuningSamples.FromSentences(["text"], "/no/vocab.txt"));

    [TestMethod]
    public void FromDataView_VectorColumns_BecomeOneFeedPerRow()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 5).Select(i => new Row { features = [.. Enumerable.Repeat((float)i, 32)] }));

        var feeds = TuningSamples.FromDataView(data, ["features"], maxRows: 3);

        Assert.HasCount(3, feeds);
        CollectionAssert.AreEqual(new long[] { 1, 32 }, feeds[2]["features"].Shape);
        Assert.AreEqual(2f, ((float[])feeds[2]["features"].Data)[0]);
    }

    [TestMethod]
    public void FromDataView_MissingColumn_ThrowsArgumentException()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { features = new float[32] } });

        var error = Assert.ThrowsExactly<ArgumentException>(() => TuningSamples.FromDataView(data, ["input_ids"]));
        StringAssert.Contains(error.Message, "input_ids");
    }

    public sealed class TextRow
    {
        public string Text { get; set; } = string.Empty;
    }

#pragma warning disable SA1300, IDE1006 // Member names follow the model's input names.
    public sealed class Row
    {
        [VectorType(32)]
        public float[] features { get; set; } = [];
    }
#pragma warning restore SA1300, IDE1006
}
