using System.Net;
using System.Net.Http.Json;
using MLNetInference.Samples.EmbeddingService.Api;
using static MLNetInference.Samples.Tests.EmbeddingServiceFixture;

namespace MLNetInference.Samples.Tests.EmbeddingService.Internal;

[TestClass]
public sealed class PredictionExceptionHandlerTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Embed_QueueFull_Returns429ProblemsAndNeverAServerError()
    {
        // One worker taking one request at a time and room for one waiting: 40 requests at once overflow it.
        using var factory = CreateFactory(
            ("Embedder:Batching:MaxQueueLength", "1"),
            ("Embedder:Batching:MaxBatchSize", "1"),
            ("Embedder:Batching:WorkersPerDevice", "1"));
        using var client = factory.CreateClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var text = string.Join(' ', Enumerable.Repeat("Dynamic batching trades a little latency for throughput.", 4));

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            using var http = await client.PostAsJsonAsync("/embed", new EmbedRequest($"{i}: {text}"), timeout.Token);
            return (http.StatusCode, http.Content.Headers.ContentType?.MediaType, http.Headers.RetryAfter, Body: await http.Content.ReadAsStringAsync(timeout.Token));
        }, timeout.Token)));

        foreach (var r in responses)
        {
            Assert.IsTrue(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{r.StatusCode}: {r.Body}");
        }

        var rejected = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.IsNotEmpty(rejected, "no request was rejected with 429");
        Assert.IsTrue(responses.Any(r => r.StatusCode == HttpStatusCode.OK), "no request was served");
        foreach (var r in rejected)
        {
            Assert.AreEqual("application/problem+json", r.MediaType, r.Body);
            Assert.IsNotNull(r.RetryAfter, "a 429 tells when to retry");
            Assert.Contains("queue", r.Body);
        }
    }

    [TestMethod]
    public async Task Embed_RequestTimesOut_Returns504Problem()
    {
        // A lone request waits up to 500 ms for its batch to fill, past its 20 ms budget.
        using var factory = CreateFactory(
            ("Embedder:Batching:MaxQueueDelay", "00:00:00.5"),
            ("Embedder:Batching:RequestTimeout", "00:00:00.02"));
        using var client = factory.CreateClient();

        using var http = await client.PostAsJsonAsync("/embed", new EmbedRequest("too slow"), TestContext.CancellationToken);
        var body = await http.Content.ReadAsStringAsync(TestContext.CancellationToken);

        Assert.AreEqual(HttpStatusCode.GatewayTimeout, http.StatusCode, body);
        Assert.AreEqual("application/problem+json", http.Content.Headers.ContentType?.MediaType, body);
    }

    [TestMethod]
    public async Task Embed_ModelFailedToLoad_Returns503Problem()
    {
        var corrupt = Path.Combine(Path.GetDirectoryName(ModelPath)!, "corrupt-for-503.zip");
        await File.WriteAllTextAsync(corrupt, "not a zip", TestContext.CancellationToken);
        using var factory = CreateFactory(("Embedder:ModelPath", corrupt));
        using var client = factory.CreateClient();

        using var http = await client.PostAsJsonAsync("/embed", new EmbedRequest("anything"), TestContext.CancellationToken);
        var body = await http.Content.ReadAsStringAsync(TestContext.CancellationToken);

        Assert.AreEqual(HttpStatusCode.ServiceUnavailable, http.StatusCode, body);
        Assert.AreEqual("application/problem+json", http.Content.Headers.ContentType?.MediaType, body);
    }
}
