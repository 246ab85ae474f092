using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using MLNetInference.Models;
using MLNetInference.Samples.EmbeddingService.Api;
using MLNetInference.Samples.EmbeddingService.RateLimiting;

namespace MLNetInference.Samples.Tests.EmbeddingService.RateLimiting;

/// <summary>
/// A noisy client and a polite one on real loopback HTTP. Each client's bucket holds <see cref="Tokens"/> requests and
/// refills once an hour, so the outcome is decided by counts, not by timing: the noisy client sends four times its
/// share at once and gets 429 for the rest, the polite one sends its share and is never refused.
/// </summary>
[TestClass]
public sealed class ClientRateLimitingTests
{
    private const int Tokens = 6;
    private const int NoisyRequests = 4 * Tokens;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task PerRemoteAddress_NoisyClientFloods_NoisyGets429AndPoliteClientNeverFails()
    {
        await using var service = await StartAsync();
        using var noisy = service.Client(from: IPAddress.Parse("127.0.0.2"));
        using var polite = service.Client(from: IPAddress.Parse("127.0.0.3"));

        var (noisyCodes, politeCodes) = await RunAsync(noisy, polite);

        AssertThrottledNoisyAndServedPolite(noisyCodes, politeCodes);
    }

    [TestMethod]
    public async Task PerApiKey_NoisyClientFloods_NoisyGets429AndOtherKeyNeverFails()
    {
        const string NoisyKey = "noisy-key-0123456789abcdef";
        const string PoliteKey = "polite-key-0123456789abcdef";
        await using var service = await StartAsync(
            "Security:Mode=ApiKey",
            $"Security:ApiKeys:noisy={NoisyKey}",
            $"Security:ApiKeys:polite={PoliteKey}");

        // Both come from 127.0.0.1: only the key tells them apart.
        using var noisy = service.Client();
        using var polite = service.Client();
        noisy.DefaultRequestHeaders.Add("X-Api-Key", NoisyKey);
        polite.DefaultRequestHeaders.Add("X-Api-Key", PoliteKey);

        var (noisyCodes, politeCodes) = await RunAsync(noisy, polite);

        AssertThrottledNoisyAndServedPolite(noisyCodes, politeCodes);
    }

    [TestMethod]
    public async Task Disabled_ManyRequestsFromOneClient_NoneIsThrottled()
    {
        await using var service = await StartAsync("RateLimiting:Enabled=false");
        using var client = service.Client();

        var codes = await Task.WhenAll(Enumerable.Range(0, 2 * Tokens).Select(i => PostAsync(client, $"Sentence number {i}.")));

        Assert.IsTrue(codes.All(c => c == HttpStatusCode.OK), string.Join(", ", codes));
    }

    [TestMethod]
    public void ClientKey_TokenWithOnlyASubject_PartitionsByTheSubjectNotTheAddress()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.7");
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "client-a")], "Bearer"));

        Assert.AreEqual("client:client-a", ClientRateLimiting.ClientKey(context));
    }

    [TestMethod]
    public void ClientKey_Anonymous_PartitionsByRemoteAddress()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.7");

        Assert.AreEqual("address:10.0.0.7", ClientRateLimiting.ClientKey(context));
    }

    private static void AssertThrottledNoisyAndServedPolite(HttpStatusCode[] noisy, HttpStatusCode[] polite)
    {
        var throttled = noisy.Count(c => c == HttpStatusCode.TooManyRequests);
        Assert.IsGreaterThan(0, throttled, "the noisy client is throttled");
        Assert.AreEqual(NoisyRequests - Tokens, throttled, "exactly the requests beyond its bucket are refused");
        Assert.IsTrue(noisy.All(c => c is HttpStatusCode.OK or HttpStatusCode.TooManyRequests), string.Join(", ", noisy));
        Assert.AreEqual(0, polite.Count(c => c != HttpStatusCode.OK), $"the polite client never fails: {string.Join(", ", polite)}");
    }

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, string text)
    {
        using var response = await client.PostAsJsonAsync("/embed", new EmbedRequest(text));
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            Assert.IsTrue(response.Headers.Contains("Retry-After"), "a 429 says when to retry");
        }

        return response.StatusCode;
    }

    private async Task<LoopbackService> StartAsync(params string[] settings) => await LoopbackService.StartAsync(
        TestContext.CancellationToken,
        [$"RateLimiting:TokenLimit={Tokens}", $"RateLimiting:TokensPerPeriod={Tokens}", "RateLimiting:ReplenishmentPeriod=01:00:00", .. settings]);

    /// <summary>The noisy client fires all its requests at once while the polite one sends its share one at a time.</summary>
    private async Task<(HttpStatusCode[] Noisy, HttpStatusCode[] Polite)> RunAsync(HttpClient noisy, HttpClient polite)
    {
        var sentences = SentenceCorpus.Load(NoisyRequests + Tokens);
        var flood = Task.WhenAll(Enumerable.Range(0, NoisyRequests).Select(i => PostAsync(noisy, sentences[i])));
        var politeCodes = new List<HttpStatusCode>();
        var latencies = new List<double>();
        for (var i = 0; i < Tokens; i++)
        {
            var started = Stopwatch.GetTimestamp();
            politeCodes.Add(await PostAsync(polite, sentences[NoisyRequests + i]));
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var noisyCodes = await flood.WaitAsync(TimeSpan.FromSeconds(60), TestContext.CancellationToken);
        latencies.Sort();
        TestContext.WriteLine($"noisy: {noisyCodes.Count(c => c == HttpStatusCode.OK)} OK, {noisyCodes.Count(c => c == HttpStatusCode.TooManyRequests)} x 429; polite latency median {latencies[latencies.Count / 2]:F1} ms, max {latencies[^1]:F1} ms (informational, not asserted)");
        return (noisyCodes, [.. politeCodes]);
    }
}
