using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Data;
using MLNetInference.Models;
using MLNetInference.Serving;

namespace MLNetInference.Tuning.Tests.Serving;

[TestClass]
public sealed class TunedModelDescriptionTests
{
    private string _folder = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"tuned-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_folder);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public async Task FromTunedModel_SavedDescription_ServesTheModelWithItsSettings()
    {
        File.Copy(FixtureModels.EnsureFile(FixtureModels.SmallMlpName), Path.Combine(_folder, "model.onnx"));
        var saved = new TunedModelDescription { MaxBatchSize = 4, MaxQueueDelayMs = 3, WorkersPerDevice = 1, IntraOpThreadsPerWorker = 1, Recipe = "int8-per-channel" };
        saved.Save(Path.Combine(_folder, TunedModelDescription.FileName));

        var loaded = TunedModelDescription.Load(_folder);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>().FromTunedModel("mlp", _folder);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();
        var predictions = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => pool.PredictAsync("mlp", new MlpInput { features = [.. Enumerable.Repeat(i / 8f, 32)] })));

        Assert.AreEqual(4, loaded.MaxBatchSize);
        Assert.AreEqual(3, loaded.MaxQueueDelayMs);
        Assert.AreEqual("int8-per-channel", loaded.Recipe);
        Assert.AreEqual(Path.Combine(_folder, "model.onnx"), loaded.ModelPath);
        var options = new DynamicBatchingOptions();
        loaded.ApplyTo(options);
        Assert.AreEqual(TimeSpan.FromMilliseconds(3), options.MaxQueueDelay);
        Assert.AreEqual(1, options.WorkersPerDevice);
        Assert.IsTrue(predictions.All(p => p.scores.Length == 4));
    }

    [TestMethod]
    public void Load_MissingModelFile_ThrowsFileNotFound()
    {
        new TunedModelDescription().Save(Path.Combine(_folder, TunedModelDescription.FileName));

        Assert.ThrowsExactly<FileNotFoundException>(() => TunedModelDescription.Load(_folder));
    }

    [TestMethod]
    public void Load_InvalidSettings_ThrowsInvalidData()
    {
        File.WriteAllText(Path.Combine(_folder, TunedModelDescription.FileName), """{"model_path": "model.onnx", "max_batch_size": 0}""");

        var error = Assert.ThrowsExactly<InvalidDataException>(() => TunedModelDescription.Load(_folder));
        StringAssert.Contains(error.Message, "max_batch_size");
    }

    [TestMethod]
    public void Load_NotJson_ThrowsInvalidData()
    {
        File.WriteAllText(Path.Combine(_folder, TunedModelDescription.FileName), "not json");

        Assert.ThrowsExactly<InvalidDataException>(() => TunedModelDescription.Load(_folder));
    }

#pragma warning disable SA1300, IDE1006 // Member names follow the model's input and output names.
    public sealed class MlpInput
    {
        [VectorType(32)]
        public float[] features { get; set; } = [];
    }

    public sealed class MlpOutput
    {
        [VectorType(4)]
        public float[] scores { get; set; } = [];
    }
#pragma warning restore SA1300, IDE1006
}
