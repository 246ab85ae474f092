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

#pragma warning disable SA1300, IDE1006 // Member names follow the model's input names.
    public sealed class Row
    {
        [VectorType(32)]
        public float[] features { get; set; } = [];
    }
#pragma warning restore SA1300, IDE1006
}
