using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MLNetInference.Samples.EmbeddingService;
using MLNetInference.Samples.EmbeddingService.Api;
using MLNetInference.Serving;
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
        // The pool runs on a fake clock: the lone request waits for its batch to fill (an hour) and times out when the
        // test moves the clock past its 20 ms budget, however busy the machine is.
        var time = new FakeTimeProvider();
        using var factory = CreateFactory(
            ("Embedder:Batching:MaxQueueDelay", "01:00:00"),
            ("Embedder:Batching:RequestTimeout", "00:00:00.02"))
            .WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(time)));
        using var client = factory.CreateClient();
        var pool = factory.Services.GetRequiredService<PredictionEnginePool<TextInput, Embedding>>();

        var start = time.GetUtcNow();
        var response = client.PostAsJsonAsync("/embed", new EmbedRequest("too slow"), TestContext.CancellationToken);
        using (var hangGuard = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (pool.GetQueueLength(EmbedderOptions.ModelName) == 0 && !response.IsCompleted && !hangGuard.IsCancellationRequested)
            {
                await Task.Delay(5, CancellationToken.None);
            }
        }

        Assert.AreEqual(1, pool.GetQueueLength(EmbedderOptions.ModelName), "the request should wait in the queue");

        // The request counts as queued a moment before its timeout timer exists, so the clock moves in 20 ms steps until
        // the answer comes: far short of the hour after which its batch would run.
        using (var hangGuard = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (!response.IsCompleted && !hangGuard.IsCancellationRequested)
            {
                time.Advance(TimeSpan.FromMilliseconds(20));
                await Task.WhenAny(response, Task.Delay(10, CancellationToken.None));
            }
        }

        Assert.IsLessThan(TimeSpan.FromMinutes(1), time.GetUtcNow() - start, "the request should time out long before its batch runs");
        using var http = await response;
        var body = await http.Content.ReadAsStringAsync(TestContext.CancellationToken);

        Assert.AreEqual(HttpStatusCode.GatewayTimeout, http.StatusCode, body);
        Assert.AreEqual("application/problem+json", http.Content.Headers.ContentType?.MediaType, body);
        Assert.AreEqual(0, pool.GetQueueLength(EmbedderOptions.ModelName));
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
