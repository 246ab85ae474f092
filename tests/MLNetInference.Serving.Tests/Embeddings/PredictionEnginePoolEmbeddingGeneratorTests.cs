using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Core;
using MLNetInference.Models;
using MLNetInference.Serving.Embeddings;
using static MLNetInference.Serving.Tests.EmbedderFixture;
using Embedding = MLNetInference.Serving.Tests.EmbedderFixture.Embedding;

namespace MLNetInference.Serving.Tests.Embeddings;

[TestClass]
public sealed class PredictionEnginePoolEmbeddingGeneratorTests
{
    [TestMethod]
    public async Task GenerateAsync_CodeWrittenAgainstTheInterface_EqualsThePoolsPredictions()
    {
        const string model = "minilm-interface";
        await using var provider = Services(model, o => o.MaxQueueDelay = TimeSpan.FromMilliseconds(5));
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        var sentences = SentenceCorpus.Load(12);

        var embeddings = await EmbedAsync(provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(), sentences);

        Assert.HasCount(sentences.Count, embeddings);
        for (var i = 0; i < sentences.Count; i++)
        {
            var expected = await pool.PredictAsync(model, new TextInput { Text = sentences[i] });
            Assert.IsGreaterThanOrEqualTo(0.99999f, Cosine(expected.Vector, embeddings[i].Vector.ToArray()), $"sentence {i}");
            Assert.AreEqual(model, embeddings[i].ModelId);
        }
    }

    [TestMethod]
    public async Task GetService_Metadata_ReportsTheModelAndItsDimensions()
    {
        const string model = "minilm-metadata";
        await using var provider = Services(model);
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();

        Assert.IsNotNull(metadata);
        Assert.AreEqual(model, metadata.DefaultModelId);
        Assert.AreEqual(384, metadata.DefaultModelDimensions);
        Assert.AreEqual(PredictionEnginePoolEmbeddingGenerator<TextInput, Embedding>.ProviderName, metadata.ProviderName);
        Assert.AreSame(provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>(), generator.GetService<PredictionEnginePool<TextInput, Embedding>>());
    }

    [TestMethod]
    public async Task GenerateAsync_SixteenConcurrentCallers_ShareBatches()
    {
        const string model = "minilm-batching";
        // A batch leaves only when full: 16 callers × 2 texts make exactly two batches of 16, whatever the timing.
        await using var provider = Services(model, o =>
        {
            o.MaxBatchSize = 16;
            o.MaxQueueDelay = TimeSpan.FromMinutes(10);
            o.WorkersPerDevice = 1;
        });
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var sentences = SentenceCorpus.Load(32);
        using var batches = new BatchSizeRecorder(model);

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(c => Task.Run(() => EmbedAsync(generator, [sentences[2 * c], sentences[(2 * c) + 1]]))));

        Assert.IsTrue(results.All(r => r.Count == 2 && r.All(e => e.Vector.Length == 384)));
        Assert.AreEqual(32, batches.Rows, "every text is one request in the batcher");
        Assert.IsGreaterThan(1, batches.Sizes.Max(), $"batch sizes: {string.Join(", ", batches.Sizes)}");
        Assert.IsLessThan(16, batches.Sizes.Count, "callers' texts should share batches rather than run one by one");
    }

    [TestMethod]
    public async Task GenerateAsync_BehindDistributedCache_SecondCallDoesNotReachThePool()
    {
        const string model = "minilm-cached";
        var services = new ServiceCollection();
        services.AddDistributedMemoryCache();
        services.AddPredictionEnginePool<TextInput, Embedding>().FromFile(model, ZipPath, watchForChanges: false);
        services.AddEmbeddingGenerator(sp => sp.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>()
                .AsIEmbeddingGenerator(model, t => new TextInput { Text = t }, e => e.Vector))
            .UseDistributedCache();
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        using var batches = new BatchSizeRecorder(model);

        var first = await generator.GenerateAsync(["A sentence worth caching."]);
        var rowsAfterFirst = batches.Rows;
        var second = await generator.GenerateAsync(["A sentence worth caching."]);

        Assert.AreEqual(1, rowsAfterFirst);
        Assert.AreEqual(1, batches.Rows, "the cached text should not reach the pool");
        CollectionAssert.AreEqual(first[0].Vector.ToArray(), second[0].Vector.ToArray());
        Assert.IsNotNull(generator.GetService<PredictionEnginePoolEmbeddingGenerator<TextInput, Embedding>>(), "the cache wraps our generator");
    }

    [TestMethod]
    public async Task GenerateAsync_CancelledWhileQueued_WithdrawsTheTexts()
    {
        const string model = "minilm-cancel";
        // Nothing leaves the queue: the batch never fills and its delay is far away.
        await using var provider = Services(model, o =>
        {
            o.MaxBatchSize = 64;
            o.MaxQueueDelay = TimeSpan.FromMinutes(10);
        });
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        using var cancel = new CancellationTokenSource();
        using var batches = new BatchSizeRecorder(model);

        var call = generator.GenerateAsync(["one", "two", "three"], cancellationToken: cancel.Token);
        Assert.AreEqual(3, pool.GetQueueLength(model));
        await cancel.CancelAsync();

        await Assert.ThrowsAsync<OperationCanceledException>(async () => await call);
        Assert.AreEqual(0, pool.GetQueueLength(model));
        Assert.AreEqual(0, batches.Rows);
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await generator.GenerateAsync(["four"], cancellationToken: cancel.Token));
    }

    [TestMethod]
    public async Task GenerateAsync_BlankText_ThrowsInvalidInputNamingItsIndex()
    {
        await using var provider = Services("minilm-blank");
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        var ex = await Assert.ThrowsExactlyAsync<InvalidInputException>(async () => await generator.GenerateAsync(["fine", "  "]));

        Assert.AreEqual(1, ex.RowIndex);
        var fine = await generator.GenerateAsync(["still fine"]);
        Assert.AreEqual(384, fine[0].Vector.Length);
    }

    [TestMethod]
    public async Task GenerateAsync_OtherDimensionsAsked_ThrowsNotSupported()
    {
        await using var provider = Services("minilm-dims");
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        var ex = await Assert.ThrowsExactlyAsync<NotSupportedException>(async () => await generator.GenerateAsync(["text"], new EmbeddingGenerationOptions { Dimensions = 128 }));

        StringAssert.Contains(ex.Message, "384");
    }

    [TestMethod]
    public async Task GenerateAsync_ModelIdOption_RunsThatModelOfThePool()
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<TextInput, Embedding>()
            .FromFile("minilm-a", ZipPath, watchForChanges: false)
            .FromFile("minilm-b", ZipPath, watchForChanges: false);
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>()
            .AsIEmbeddingGenerator("minilm-a", t => new TextInput { Text = t }, e => e.Vector);
        using var a = new BatchSizeRecorder("minilm-a");
        using var b = new BatchSizeRecorder("minilm-b");

        var result = await generator.GenerateAsync(["routed by its options"], new EmbeddingGenerationOptions { ModelId = "minilm-b" });

        Assert.AreEqual("minilm-b", result[0].ModelId);
        Assert.AreEqual(0, a.Rows);
        Assert.AreEqual(1, b.Rows);
    }

    /// <summary>What Semantic Kernel-style code does: it knows only the interface.</summary>
    private static async Task<IReadOnlyList<Embedding<float>>> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> generator, IReadOnlyList<string> texts)
        => await generator.GenerateAsync(texts);

    private static ServiceProvider Services(string model, Action<DynamicBatchingOptions>? batching = null)
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<TextInput, Embedding>()
            .FromFile(model, ZipPath, watchForChanges: false)
            .WithDynamicBatching(model, o =>
            {
                o.WorkersPerDevice = 2;
                batching?.Invoke(o);
            });
        services.AddEmbeddingGenerator(sp => sp.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>()
            .AsIEmbeddingGenerator(model, t => new TextInput { Text = t }, e => e.Vector));
        return services.BuildServiceProvider(validateScopes: true);
    }
}
