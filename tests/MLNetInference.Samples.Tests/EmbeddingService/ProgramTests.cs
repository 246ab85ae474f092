using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MLNetInference.Models;
using MLNetInference.Samples.EmbeddingService;
using MLNetInference.Samples.EmbeddingService.Api;
using MLNetInference.Samples.Tests.EmbeddingService.Telemetry;
using MLNetInference.Serving;
using static MLNetInference.Samples.Tests.EmbeddingServiceFixture;

namespace MLNetInference.Samples.Tests.EmbeddingService;

[TestClass]
public sealed class ProgramTests
{
    /// <summary>The pool's request-duration histogram as the Prometheus exporter names it (unit "s" adds "_seconds").</summary>
    private const string RequestDurationFamily = "mlnetinference_pool_request_duration_seconds";

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Health_ModelLoaded_LiveAndReadyAre200WithPerModelStatus()
    {
        await using var service = await LoopbackService.StartAsync(TestContext.CancellationToken);
        using var client = service.Client();

        using var live = await client.GetAsync("/health/live", TestContext.CancellationToken);
        using var ready = await client.GetAsync("/health/ready", TestContext.CancellationToken);
        var liveBody = await live.Content.ReadAsStringAsync(TestContext.CancellationToken);
        var readyBody = await ready.Content.ReadAsStringAsync(TestContext.CancellationToken);

        Assert.AreEqual(HttpStatusCode.OK, live.StatusCode, liveBody);
        Assert.AreEqual(HttpStatusCode.OK, ready.StatusCode, readyBody);
        using var liveJson = JsonDocument.Parse(liveBody);
        using var readyJson = JsonDocument.Parse(readyBody);
        Assert.IsFalse(liveJson.RootElement.GetProperty("checks").TryGetProperty("prediction-engine-pool", out _), "liveness does not ask the model");
        var data = readyJson.RootElement.GetProperty("checks").GetProperty("prediction-engine-pool").GetProperty("data");
        Assert.AreEqual("Loaded", data.GetProperty(EmbedderOptions.ModelName).GetString());
    }

    [TestMethod]
    public async Task Health_ModelFailedToLoad_LiveIs200AndReadyIs503()
    {
        var corrupt = Path.Combine(Path.GetDirectoryName(ModelPath)!, "corrupt-for-health.zip");
        await File.WriteAllTextAsync(corrupt, "not a zip", TestContext.CancellationToken);
        await using var service = await LoopbackService.StartAsync(TestContext.CancellationToken, $"Embedder:ModelPath={corrupt}");
        using var client = service.Client();

        using var live = await client.GetAsync("/health/live", TestContext.CancellationToken);
        using var ready = await client.GetAsync("/health/ready", TestContext.CancellationToken);
        var body = await ready.Content.ReadAsStringAsync(TestContext.CancellationToken);

        Assert.AreEqual(HttpStatusCode.OK, live.StatusCode, "the process still answers: a restart would not help");
        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, ready.StatusCode, body);
        Assert.Contains("\"Unhealthy\"", body);
        Assert.Contains("Failed", body);
    }

    [TestMethod]
    public async Task BuildApp_SixteenClientsOnLoopback_AllSucceedAndMetricsArePrometheusTextWithASecondsHistogram()
    {
        const int Clients = 16;
        const int RequestsPerClient = 12;
        await using var service = await LoopbackService.StartAsync(TestContext.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var sentences = SentenceCorpus.Load(Clients * RequestsPerClient);

        var statuses = await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var client = service.Client();
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

        using var metricsClient = service.Client();
        using var response = await metricsClient.GetAsync("/metrics", timeout.Token);
        var text = await response.Content.ReadAsStringAsync(timeout.Token);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.AreEqual("text/plain", response.Content.Headers.ContentType?.MediaType, "scrapers expect the text format");
        var scrape = PrometheusText.Parse(text);

        Assert.AreEqual("histogram", scrape.Families[RequestDurationFamily].Type);
        var durations = scrape.GetHistogram(RequestDurationFamily, IsThisModel);
        Assert.IsGreaterThanOrEqualTo(Clients * RequestsPerClient, durations.Count);
        CollectionAssert.AreEqual(
            PoolMetrics.DurationBucketBoundaries.Append(double.PositiveInfinity).ToArray(),
            durations.Buckets.Select(b => b.UpperBound).ToArray(),
            "the buckets are the pool's advice, in seconds");
        var p99 = durations.Quantile(0.99);
        var mean = durations.Sum / durations.Count;
        TestContext.WriteLine($"request duration over {durations.Count} requests: mean {mean * 1000:F1} ms, p50 {durations.Quantile(0.5) * 1000:F1} ms, p99 {p99 * 1000:F1} ms");
        Assert.IsTrue(p99 > 0 && p99 <= PoolMetrics.DurationBucketBoundaries[^1], $"p99 {p99} s is computable from the buckets and in seconds");
        Assert.IsTrue(mean is > 0 and < 30, $"a mean of {mean} is seconds, not milliseconds");

        var batches = scrape.GetHistogram("mlnetinference_pool_batch_size", IsThisModel);
        Assert.AreEqual(Clients * RequestsPerClient, batches.Sum, 0.0, "every request ran in exactly one batch");
        Assert.AreEqual("histogram", scrape.Families["mlnetinference_pool_queue_duration_seconds"].Type);
        Assert.AreEqual("histogram", scrape.Families["mlnetinference_pool_inference_duration_seconds"].Type);
        var queued = scrape.Families["mlnetinference_pool_queued_requests"].Samples.Single(s => IsThisModel(s.Labels));
        Assert.AreEqual(0, queued.Value, "nothing waits once every response is in");
        Assert.IsTrue(scrape.Families.ContainsKey("http_server_request_duration_seconds"), "ASP.NET Core's own request histogram is exported too");
    }

    [TestMethod]
    public async Task OpenApi_Development_ServesTheDocumentWithTheInferenceEndpoints()
    {
        await using var service = await LoopbackService.StartAsync(TestContext.CancellationToken, "environment=Development");
        using var client = service.Client();

        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", TestContext.CancellationToken));

        StringAssert.StartsWith(document.RootElement.GetProperty("openapi").GetString(), "3.");
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/embed", "/embed/batch", "/similarity" })
        {
            Assert.IsTrue(paths.TryGetProperty(path, out var item) && item.TryGetProperty("post", out _), $"the document describes POST {path}");
        }
    }

    [TestMethod]
    public async Task OpenApi_ApiKeyMode_DocumentDeclaresTheKeyHeaderOnTheInferenceEndpoints()
    {
        await using var service = await LoopbackService.StartAsync(
            TestContext.CancellationToken, "environment=Development", "Security:Mode=ApiKey", "Security:ApiKeys:alpha=alpha-key-0123456789abcdef");
        using var client = service.Client();

        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", TestContext.CancellationToken));

        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.AreEqual("apiKey", scheme.GetProperty("type").GetString());
        Assert.AreEqual("header", scheme.GetProperty("in").GetString());
        Assert.AreEqual("X-Api-Key", scheme.GetProperty("name").GetString());
        var security = document.RootElement.GetProperty("paths").GetProperty("/embed").GetProperty("post").GetProperty("security");
        Assert.IsTrue(security.EnumerateArray().Any(r => r.TryGetProperty("ApiKey", out _)), "POST /embed requires the key");
    }

    [TestMethod]
    public async Task OpenApi_Production_DocumentIsNotServed()
    {
        await using var service = await LoopbackService.StartAsync(TestContext.CancellationToken, "environment=Production");
        using var client = service.Client();

        using var response = await client.GetAsync("/openapi/v1.json", TestContext.CancellationToken);

        Assert.AreEqual(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static bool IsThisModel(IReadOnlyDictionary<string, string> labels)
        => labels.TryGetValue("mlnetinference_model_name", out var model) && model == EmbedderOptions.ModelName;
}
