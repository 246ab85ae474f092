using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Models;
using static MLNetInference.Serving.Tests.Serving.PredictionEnginePoolRegistrationTests;

namespace MLNetInference.Serving.Tests.Serving;

[TestClass]
public sealed class FileModelLoaderTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task UsePollingFileWatcher_FileChanges_ReloadsTheModel()
    {
        var path = CopyOfSmallMlp();
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromLoader("polled", new FileModelLoader(path) { UsePollingFileWatcher = true });
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();
        var first = pool.GetModel("polled");

        // Polling reads the timestamp every four seconds: real time, so the wait is only bounded, never asserted on.
        File.Copy(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), path, overwrite: true);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (ReferenceEquals(first, pool.GetModel("polled")) || pool.GetStatus("polled") != ModelStatus.Loaded)
        {
            await Task.Delay(100, guard.Token);
        }

        Assert.AreEqual(ModelStatus.Loaded, pool.GetStatus("polled"));
        Assert.HasCount(4, (await pool.PredictAsync("polled", new MlpInput { features = new float[32] })).scores);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task WatchedFileDeleted_OldVersionKeepsServing_ThenFileRestored_Reloads(bool polling)
    {
        var path = CopyOfSmallMlp();
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromLoader("watched", new FileModelLoader(path) { UsePollingFileWatcher = polling });
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();
        var first = pool.GetModel("watched");
        var input = new MlpInput { features = new float[32] };
        var expected = (await pool.PredictAsync("watched", input)).scores;

        // Real file events (or four-second polls): the waits are only bounded by a hang guard, never asserted on.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        File.Delete(path);
        while (pool.GetStatus("watched") != ModelStatus.ReloadFailed)
        {
            await Task.Delay(100, guard.Token);
        }

        // The deleted file's reload failed with a typed, named error; the loaded version still answers, unchanged.
        Assert.IsInstanceOfType<FileNotFoundException>(pool.GetLastError("watched")?.GetBaseException() ?? pool.GetLastError("watched"), pool.GetLastError("watched")?.ToString());
        Assert.AreSame(first, pool.GetModel("watched"));
        CollectionAssert.AreEqual(expected, (await pool.PredictAsync("watched", input)).scores);

        File.Copy(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), path);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        while (ReferenceEquals(first, pool.GetModel("watched")) || pool.GetStatus("watched") != ModelStatus.Loaded)
        {
            await Task.Delay(100, guard.Token);
        }

        Assert.IsNull(pool.GetLastError("watched"));
        CollectionAssert.AreEqual(expected, (await pool.PredictAsync("watched", input)).scores);
    }

    [TestMethod]
    [DataRow("true", true)]
    [DataRow("1", true)]
    [DataRow("TRUE", true)]
    [DataRow("0", false)]
    [DataRow(null, false)]
    public void Constructor_PollingEnvironmentVariable_SetsUsePollingFileWatcher(string? value, bool expected)
    {
        var previous = Environment.GetEnvironmentVariable(FileModelLoader.PollingEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(FileModelLoader.PollingEnvironmentVariable, value);

            using var loader = new FileModelLoader("model.zip");

            Assert.AreEqual(expected, loader.UsePollingFileWatcher);
        }
        finally
        {
            Environment.SetEnvironmentVariable(FileModelLoader.PollingEnvironmentVariable, previous);
        }
    }

    [TestMethod]
    public async Task FromFile_NoWatchArgument_WatchesAsMicrosoftExtensionsMlDoes()
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromOnnxFile("watched", CopyOfSmallMlp())
            .FromOnnxFile("still", CopyOfSmallMlp(), watchForChanges: false);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();

        Assert.IsTrue(((FileModelLoader)pool.LoaderOf("watched")).WatchForChanges);
        Assert.IsFalse(((FileModelLoader)pool.LoaderOf("still")).WatchForChanges);
    }

    private string CopyOfSmallMlp()
    {
        var folder = Path.Combine(TestContext.TestRunDirectory ?? Path.GetTempPath(), $"model-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "mlp.onnx");
        File.Copy(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), path);
        return path;
    }
}
