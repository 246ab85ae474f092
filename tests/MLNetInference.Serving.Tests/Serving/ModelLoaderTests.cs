using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Models;
using static MLNetInference.Serving.Tests.Serving.PredictionEnginePoolRegistrationTests;

namespace MLNetInference.Serving.Tests.Serving;

[TestClass]
public sealed class ModelLoaderTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [TestMethod]
    public async Task FromLoader_OnnxFromAStream_ServesAndReloadsOnSignal()
    {
        var bytes = await File.ReadAllBytesAsync(FixtureModels.EnsureFile(FixtureModels.SmallMlpName));
        var loader = new InMemoryModelLoader(bytes);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromLoader("mem", loader);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();
        var input = new MlpInput { features = [.. Enumerable.Range(0, 32).Select(i => i / 32f)] };
        var before = await pool.PredictAsync("mem", input);
        var first = pool.GetModel("mem");

        loader.Publish([.. bytes]);
        await WaitUntil(() => !ReferenceEquals(first, pool.GetModel("mem")));
        var after = await pool.PredictAsync("mem", input);

        CollectionAssert.AreEqual(before.scores, after.scores);
        Assert.AreEqual(2, loader.Opens);
    }

    [TestMethod]
    public async Task FromLoader_InvalidNewVersion_KeepsServingAndReportsReloadFailed()
    {
        var bytes = await File.ReadAllBytesAsync(FixtureModels.EnsureFile(FixtureModels.SmallMlpName));
        var loader = new InMemoryModelLoader(bytes);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromLoader("mem", loader);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();
        var first = pool.GetModel("mem");

        loader.Publish([0x50, 0x4B, 0x03, 0x04, 9, 9, 9]);
        await WaitUntil(() => pool.GetStatus("mem") == ModelStatus.ReloadFailed);

        Assert.AreSame(first, pool.GetModel("mem"));
        var prediction = await pool.PredictAsync("mem", new MlpInput { features = new float[32] });
        Assert.HasCount(4, prediction.scores);
    }

    [TestMethod]
    public async Task FromLoader_MlNetZipFromAStream_EqualsTheFileModel()
    {
        var loader = new InMemoryModelLoader(await File.ReadAllBytesAsync(EmbedderFixture.ZipPath));
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<EmbedderFixture.TextInput, EmbedderFixture.Embedding>()
            .FromLoader("stream", loader)
            .FromFile("file", EmbedderFixture.ZipPath, watchForChanges: false);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<EmbedderFixture.TextInput, EmbedderFixture.Embedding>>();
        var input = new EmbedderFixture.TextInput { Text = "Models can come from any stream." };

        var fromStream = await pool.PredictAsync("stream", input);
        var fromFile = await pool.PredictAsync("file", input);

        Assert.IsGreaterThanOrEqualTo(0.99999f, EmbedderFixture.Cosine(fromFile.Vector, fromStream.Vector));
    }

    [TestMethod]
    public async Task FromLoader_LoaderThrowsIOException_ModelFailsOthersServe()
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromLoader("broken", new InMemoryModelLoader(null))
            .FromOnnxFile("fine", FixtureModels.EnsureFile(FixtureModels.SmallMlpName), watchForChanges: false);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();

        await Assert.ThrowsExactlyAsync<ModelUnavailableException>(async () => await pool.PredictAsync("broken", new MlpInput { features = new float[32] }));
        Assert.IsInstanceOfType<IOException>(pool.GetLastError("broken"));
        Assert.HasCount(4, (await pool.PredictAsync("fine", new MlpInput { features = new float[32] })).scores);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!condition())
        {
            await Task.Delay(20, guard.Token);
        }
    }

    /// <summary>A loader over bytes in memory, as a blob store or a database would be.</summary>
    private sealed class InMemoryModelLoader(byte[]? content) : ModelLoader
    {
        private byte[]? _content = content;
        private int _opens;

        public int Opens => Volatile.Read(ref _opens);

        public override string Description => "memory";

        public override Task<Stream> OpenAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _opens);
            return Volatile.Read(ref _content) is { } bytes
                ? Task.FromResult<Stream>(new MemoryStream(bytes, writable: false))
                : Task.FromException<Stream>(new IOException("The store has no model."));
        }

        public void Publish(byte[] bytes)
        {
            Volatile.Write(ref _content, bytes);
            SignalReload();
        }
    }
}
