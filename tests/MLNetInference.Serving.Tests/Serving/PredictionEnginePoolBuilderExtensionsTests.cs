using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Models;
using static MLNetInference.Serving.Tests.Serving.PredictionEnginePoolRegistrationTests;

namespace MLNetInference.Serving.Tests.Serving;

[TestClass]
public sealed class PredictionEnginePoolBuilderExtensionsTests
{
    [TestMethod]
    public async Task WithDynamicBatching_AfterFromFileA_ConfiguresModelAOnly()
    {
        var path = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<MlpInput, MlpOutput>()
            .FromOnnxFile("a", path, watchForChanges: false)
            .WithDynamicBatching(o => o.MaxBatchSize = 3)
            .FromOnnxFile("b", path, watchForChanges: false);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();

        Assert.AreEqual(3, pool.BatchingOptions("a").MaxBatchSize);
        Assert.AreEqual(new DynamicBatchingOptions().MaxBatchSize, pool.BatchingOptions("b").MaxBatchSize, "model b keeps its defaults");
    }

    [TestMethod]
    public async Task WithDynamicBatching_OnThePoolBuilder_ConfiguresEveryModelBeforeTheirOwn()
    {
        var path = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        var services = new ServiceCollection();
        var pool = services.AddPredictionEnginePool<MlpInput, MlpOutput>();
        pool.WithDynamicBatching(o =>
        {
            o.MaxQueueLength = 7;
            o.MaxBatchSize = 5;
        });
        pool.FromOnnxFile("a", path, watchForChanges: false).WithDynamicBatching(o => o.MaxBatchSize = 2);
        pool.FromOnnxFile("b", path, watchForChanges: false);
        await using var provider = services.BuildServiceProvider();
        var served = provider.GetRequiredService<PredictionEnginePool<MlpInput, MlpOutput>>();

        Assert.AreEqual(7, served.BatchingOptions("a").MaxQueueLength);
        Assert.AreEqual(2, served.BatchingOptions("a").MaxBatchSize);
        Assert.AreEqual(7, served.BatchingOptions("b").MaxQueueLength);
        Assert.AreEqual(5, served.BatchingOptions("b").MaxBatchSize);
    }

    [TestMethod]
    public void FromFile_ReturnsABuilderForThatModel()
    {
        var services = new ServiceCollection();
        var builder = services.AddPredictionEnginePool<MlpInput, MlpOutput>();

        var forA = builder.FromFile("a", "a.zip");

        Assert.IsNull(builder.ModelName);
        Assert.AreEqual("a", forA.ModelName);
        Assert.AreSame(services, forA.Services);
    }
}
