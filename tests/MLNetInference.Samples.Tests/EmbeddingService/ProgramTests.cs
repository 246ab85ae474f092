using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Models;
using MLNetInference.Samples.EmbeddingService;
using MLNetInference.Samples.EmbeddingService.Api;
using static MLNetInference.Samples.Tests.EmbeddingServiceFixture;

namespace MLNetInference.Samples.Tests.EmbeddingService;

[TestClass]
public sealed class ProgramTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Health_ModelLoaded_Returns200HealthyWithPerModelStatus()
    {
        using var factory = CreateFactory();
        using var client = factory.CreateClient();

        using var http = await client.GetAsync("/health", TestContext.CancellationToken);
        var body = await http.Content.ReadAsStringAsync(TestContext.CancellationToken);

        Assert.AreEqual(HttpStatusCode.OK, http.StatusCode, body);
        using var json = JsonDocument.Parse(body);
        Assert.AreEqual("Healthy", json.RootElement.GetProperty("status").GetString());
        var data = json.RootElement.GetProperty("checks").GetProperty("prediction-engine-pool").GetProperty("data");
        Assert.AreEqual("Loaded", data.GetProperty(EmbedderOptions.ModelName).GetString());
    }

    [TestMethod]
    public async Task Health_ModelFailedToLoad_Returns503Unhealthy()
    {
        var corrupt = Path.Combine(Path.GetDirectoryName(ModelPath)!, "corrupt-for-health.zip");
        await File.WriteAllTextAsync(corrupt, "not a zip", TestContext.CancellationToken);
        using var factory = CreateFactory(("Embedder:ModelPath", corrupt));
        using var client = factory.CreateClient();

        using var http = await client.GetAsync("/health", TestContext.CancellationToken);
        var body = await http.Content.ReadAsStringAsync(TestContext.CancellationToken);

        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, http.StatusCode, body);
        Assert.Contains("\"Unhealthy\"", body);
        Assert.Contains("Failed", body);
    }

    [TestMethod]
    public async Task BuildApp_RealKestrelOnLoopback_SixteenClientsAllSucceedAndMetricsCountThem()
    {
        const int Clients = 16;
        const int RequestsPerClient = 12;
        await using var app = Program.BuildApp(
        [
            "--urls=http://127.0.0.1:0",
            $"--Embedder:ModelPath={ModelPath}",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync(TestContext.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        var baseAddress = new Uri(address);
        Assert.AreEqual("127.0.0.1", baseAddress.Host, "the test only talks to loopback");
        Assert.AreNotEqual(0, baseAddress.Port);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var sentences = SentenceCorpus.Load(Clients * RequestsPerClient);
        var statuses = await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var seen = new List<HttpStatusCode>(RequestsPerClient);
            for (var i = 0; i < RequestsPerClient; i++)
            {
                using var http = await client.PostAsJsonAsync("/embed", new EmbedRequest(sentences[(c * RequestsPerClient) + i]), timeout.Token);
                seen.Add(http.StatusCode);
            }

            return seen;
        }, timeout.Token)));

        var all = statuses.SelectMany(s => s).ToList();
        Assert.HasCount(Clients * RequestsPerClient, all);
        Assert.IsTrue(all.All(s => s == HttpStatusCode.OK), string.Join(", ", all.Where(s => s != HttpStatusCode.OK)));

        using (var metricsClient = new HttpClient { BaseAddress = baseAddress })
        {
            using var metrics = JsonDocument.Parse(await metricsClient.GetStringAsync("/metrics", timeout.Token));
            var model = metrics.RootElement.GetProperty(EmbedderOptions.ModelName);
            Assert.IsGreaterThanOrEqualTo(Clients * RequestsPerClient, model.GetProperty("batchSize").GetProperty("sum").GetDouble());
            Assert.AreEqual(0, model.GetProperty("queueLength").GetInt64());
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StopAsync(stop.Token);
    }
}
