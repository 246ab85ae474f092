using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace MLNetInference.Samples.Tests.EmbeddingService;

/// <summary>
/// Request bombs over real loopback HTTP: each is refused with 400 or 413, the managed heap stays within a bound, and
/// the service answers a normal request afterwards.
/// </summary>
[TestClass]
public sealed class RequestBombTests
{
    /// <summary>Generous: the largest bomb is 10 MB, and a service that read it whole would hold more than twice that.</summary>
    private const long HeapGrowthBound = 64L << 20;

    private static LoopbackService? s_service;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static async Task StartService(TestContext context)
        => s_service = await LoopbackService.StartAsync(context.CancellationToken);

    [ClassCleanup]
    public static async Task StopService()
    {
        if (s_service is not null)
        {
            await s_service.DisposeAsync();
        }
    }

    [TestMethod]
    [DataRow("ten-megabyte-text", "/embed", HttpStatusCode.RequestEntityTooLarge)]
    [DataRow("hundred-thousand-texts", "/embed/batch", HttpStatusCode.BadRequest)]
    [DataRow("json-nested-hundred-thousand-deep", "/embed", HttpStatusCode.BadRequest)]
    [DataRow("invalid-utf8", "/embed", HttpStatusCode.BadRequest)]
    [DataRow("one-megabyte-of-one-character", "/embed", HttpStatusCode.BadRequest)]
    public async Task Post_Bomb_IsRefusedWithBoundedMemoryAndTheServiceServesAfterwards(string bomb, string route, HttpStatusCode expected)
    {
        var service = s_service!;
        using var client = service.Client();
        await service.EmbedAsync(client, "warm up before measuring", TestContext.CancellationToken);
        var body = Bomb(bomb);
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var workingSetBefore = Environment.WorkingSet;

        using var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };

        // With 100-continue the body is sent only if the server reads it; a body over the limit is refused unread.
        request.Headers.ExpectContinue = true;
        var clock = Stopwatch.StartNew();
        using var http = await client.SendAsync(request, TestContext.CancellationToken);
        var answer = await http.Content.ReadAsStringAsync(TestContext.CancellationToken);
        clock.Stop();
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        TestContext.WriteLine($"{bomb}: {body.Length} bytes -> {(int)http.StatusCode} in {clock.Elapsed.TotalMilliseconds:F0} ms; heap {heapBefore >> 20} -> {heapAfter >> 20} MiB, working set {workingSetBefore >> 20} -> {Environment.WorkingSet >> 20} MiB; {answer}");
        Assert.AreEqual(expected, http.StatusCode, answer);
        Assert.AreEqual("application/problem+json", http.Content.Headers.ContentType?.MediaType, answer);
        Assert.IsLessThan(HeapGrowthBound, heapAfter - heapBefore, $"the heap grew by {(heapAfter - heapBefore) >> 20} MiB");
        Assert.HasCount(384, await service.EmbedAsync(client, "A normal request after the bomb.", TestContext.CancellationToken));
    }

    private static byte[] Bomb(string bomb)
    {
        switch (bomb)
        {
            case "ten-megabyte-text":
                return Encoding.UTF8.GetBytes($"{{\"text\":\"{Words(10_000_000)}\"}}");
            case "hundred-thousand-texts":
            {
                var json = new StringBuilder("{\"texts\":[");
                for (var i = 0; i < 100_000; i++)
                {
                    json.Append(i == 0 ? "\"a\"" : ",\"a\"");
                }

                return Encoding.UTF8.GetBytes(json.Append("]}").ToString());
            }

            case "json-nested-hundred-thousand-deep":
                return Encoding.UTF8.GetBytes($"{{\"text\":{new string('[', 100_000)}{new string(']', 100_000)}}}");
            case "invalid-utf8":
            {
                var prefix = Encoding.UTF8.GetBytes("{\"text\":\"valid start ");
                byte[] broken = [0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80, 0xF8, 0x88, 0x80, 0x80, 0x80];
                return [.. prefix, .. broken, .. Encoding.UTF8.GetBytes(" end\"}")];
            }

            case "one-megabyte-of-one-character":
                return Encoding.UTF8.GetBytes($"{{\"text\":\"{new string('a', 1_000_000)}\"}}");
            default:
                throw new ArgumentOutOfRangeException(nameof(bomb), bomb, "unknown bomb");
        }
    }

    private static string Words(int length)
    {
        var text = new StringBuilder(length);
        while (text.Length < length)
        {
            text.Append("bomb ");
        }

        return text.ToString(0, length);
    }
}
