using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static MLNetInference.Serving.Tests.EmbedderFixture;

namespace MLNetInference.Serving.Tests.Serving;

[TestClass]
public sealed class PredictionEnginePoolWarmUpTests
{
    [TestMethod]
    public async Task StartAsync_WithWarmUpExample_RunsOneInferencePerModelBeforeAnyRequest()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddPredictionEnginePool<TextInput, Embedding>()
            .FromFile("warm", ZipPath, watchForChanges: false)
            .WithWarmUpExample(new TextInput { Text = "warm up" })
            .FromFile("cold", ZipPath, watchForChanges: false);
        builder.Services.AddHealthChecks().AddPredictionEnginePool<TextInput, Embedding>();
        using var host = builder.Build();
        using var warm = new BatchSizeRecorder("warm");
        using var cold = new BatchSizeRecorder("cold");

        await host.StartAsync();
        try
        {
            var pool = host.Services.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
            var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

            Assert.AreEqual(1, warm.Rows, "the warm-up example ran once through model 'warm'");
            Assert.AreEqual(0, cold.Rows, "model 'cold' has no example: it is loaded, not run");
            Assert.AreEqual(ModelStatus.Loaded, pool.GetStatus("cold"), "host start loaded every model");
            Assert.IsFalse(pool.IsWarmingUp);
            Assert.AreEqual(HealthStatus.Healthy, health.Status);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [TestMethod]
    public async Task HealthCheck_WhileWarmingUp_IsUnhealthy()
    {
        var services = new ServiceCollection();
        services.AddPredictionEnginePool<TextInput, Embedding>().FromFile(ZipPath, watchForChanges: false);
        await using var provider = services.BuildServiceProvider();
        var pool = provider.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();
        var check = new PredictionEnginePoolHealthCheck<TextInput, Embedding>(pool);

        pool.MarkWarmingUp(running: true);
        var during = await check.CheckHealthAsync(new HealthCheckContext());
        pool.MarkWarmingUp(running: false);
        var after = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.AreEqual(HealthStatus.Unhealthy, during.Status);
        Assert.AreEqual(HealthStatus.Healthy, after.Status);
    }
}
