using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Serving.OpenInference.Internal;

namespace MLNetInference.Serving.OpenInference.Tests;

[TestClass]
public sealed class OpenInferenceLoadingTests
{
    [TestMethod]
    public async Task Ready_WhileAModelLoads_Answers503ThenServesOnceLoaded()
    {
        using var gate = new ManualResetEventSlim(false);
        await using var server = await V2TestServer.StartAsync(
            services => services.AddOpenInference()
                .AddOnnxModel("cast", CastModel.Path, b => b.WorkersPerDevice = 1)
                .Services.Configure<OpenInferenceRegistrations>(r => r.Sources.Insert(0, new GatedSource(gate))),
            waitForModels: false);

        using var ready = await server.Http.GetAsync("/v2/health/ready");
        using var live = await server.Http.GetAsync("/v2/health/live");
        using var infer = await server.Http.PostAsync("/v2/models/cast/infer", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.AreEqual("{\"ready\":false}", await ready.Content.ReadAsStringAsync());
        Assert.AreEqual(HttpStatusCode.OK, live.StatusCode);
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, infer.StatusCode, await infer.Content.ReadAsStringAsync());

        gate.Set();
        await server.Services.GetRequiredService<ModelRegistry>().Loaded.WaitAsync(TimeSpan.FromSeconds(60));

        using var readyAfter = await server.Http.GetAsync("/v2/health/ready");
        using var unknown = await server.Http.GetAsync("/v2/models/nope");
        Assert.AreEqual(HttpStatusCode.OK, readyAfter.StatusCode);
        Assert.AreEqual(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [TestMethod]
    public async Task Ready_AModelThatFailsToLoad_StaysNotReadyAndOthersServe()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.onnx");
        await using var server = await V2TestServer.StartAsync(services => services.AddOpenInference()
            .AddOnnxModel("broken", missing)
            .AddOnnxModel("cast", CastModel.Path, b => b.WorkersPerDevice = 1));

        using var ready = await server.Http.GetAsync("/v2/health/ready");
        using var broken = await server.Http.GetAsync("/v2/models/broken/ready");
        using var cast = await server.Http.GetAsync("/v2/models/cast/ready");

        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, broken.StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, cast.StatusCode);
    }

    /// <summary>A model source that holds the loader until the test opens its gate.</summary>
    private sealed class GatedSource(ManualResetEventSlim gate) : IModelSource
    {
        public IReadOnlyList<IInferenceModel> Load(IServiceProvider services)
        {
            gate.Wait(TimeSpan.FromSeconds(60));
            return [];
        }
    }
}
