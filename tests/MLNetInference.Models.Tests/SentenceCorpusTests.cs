namespace MLNetInference.Models.Tests;

[TestClass]
public sealed class SentenceCorpusTests
{
    [TestMethod]
    public void LoadAll_MicrosoftMLDocs_YieldsThousandsOfDistinctCleanSentences()
    {
        var sentences = SentenceCorpus.LoadAll();

        Assert.IsGreaterThanOrEqualTo(1000, sentences.Count);
        Assert.AreEqual(sentences.Count, sentences.Distinct(StringComparer.Ordinal).Count());
        foreach (var sentence in sentences)
        {
            Assert.DoesNotContain('<', sentence, sentence);
            Assert.DoesNotContain("  ", sentence, sentence);
            Assert.DoesNotContain("&lt;", sentence, sentence);
            Assert.AreEqual(sentence.Trim(), sentence);
            Assert.IsGreaterThanOrEqualTo(3, sentence.Split(' ').Length, sentence);
        }
    }

    [TestMethod]
    public void LoadAll_SeeCref_KeepsLastIdentifierSegment()
    {
        var sentences = SentenceCorpus.LoadAll();

        Assert.IsTrue(sentences.Any(s => s.Contains("IDataView", StringComparison.Ordinal)));
        Assert.IsFalse(sentences.Any(s => s.Contains("T:Microsoft.ML", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Load_CountBeyondCorpus_CyclesInOrder()
    {
        var all = SentenceCorpus.LoadAll();

        var loaded = SentenceCorpus.Load(all.Count + 5);

        Assert.HasCount(all.Count + 5, loaded);
        Assert.AreEqual(all[0], loaded[0]);
        Assert.AreEqual(all[4], loaded[all.Count + 4]);
    }

    [TestMethod]
    public void Load_Twice_GivesSameOrder()
    {
        CollectionAssert.AreEqual(SentenceCorpus.Load(50).ToArray(), SentenceCorpus.Load(50).ToArray());
    }

    [TestMethod]
    public void Load_NegativeCount_Throws()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SentenceCorpus.Load(-1));
    }

    [TestMethod]
    public void Load_Zero_IsEmpty()
    {
        Assert.IsEmpty(SentenceCorpus.Load(0));
    }
}
