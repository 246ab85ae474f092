using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MLNetInference.Samples.EmbeddingService.Api;
using MLNetInference.Samples.EmbeddingService.Telemetry;

namespace MLNetInference.Samples.Tests.EmbeddingService.Telemetry;

[TestClass]
public sealed class ServiceTelemetryTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task OtlpEndpointConfigured_Request_ExportsThePoolsSpansOverOtlpHttp()
    {
        // A stand-in collector on loopback that keeps every OTLP/HTTP body it receives.
        var received = new ConcurrentQueue<(string Path, string? ContentType, byte[] Body)>();
        var collectorBuilder = WebApplication.CreateSlimBuilder();
        collectorBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        collectorBuilder.Logging.ClearProviders();
        await using var collector = collectorBuilder.Build();
        collector.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            received.Enqueue((context.Request.Path, context.Request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync(TestContext.CancellationToken);
        var collectorAddress = collector.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();

        await using (var service = await LoopbackService.StartAsync(
            TestContext.CancellationToken,
            $"{ServiceTelemetry.OtlpEndpointKey}={collectorAddress}",
            $"{ServiceTelemetry.OtlpProtocolKey}=http/protobuf",
            "OTEL_BSP_SCHEDULE_DELAY=100"))
        {
            using var client = service.Client();
            using var response = await client.PostAsJsonAsync("/embed", new EmbedRequest("Traces leave the service."), TestContext.CancellationToken);
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);

            // A hang guard only: the batch exporter sends within its 100 ms schedule delay.
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.CancellationToken);
            bound.CancelAfter(TimeSpan.FromSeconds(30));
            while (!received.Any(r => r.Path == "/v1/traces" && Contains(r.Body, "predict minilm")))
            {
                await Task.Delay(50, bound.Token);
            }
        }

        var traces = received.Where(r => r.Path == "/v1/traces").ToArray();
        Assert.IsTrue(traces.All(t => t.ContentType == "application/x-protobuf"), "OTLP/HTTP carries protobuf");
        var all = traces.SelectMany(t => t.Body).ToArray();
        foreach (var span in new[] { "predict minilm", "queue minilm", "inference minilm", "MLNetInference.Serving" })
        {
            Assert.IsTrue(Contains(all, span), $"the export holds '{span}'");
        }
    }

    [TestMethod]
    public void OtlpEndpointNotAUrl_StartupFailsNamingTheSetting()
    {
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => Program.BuildApp(
            [$"Embedder:ModelPath={EmbeddingServiceFixture.ModelPath}", $"{ServiceTelemetry.OtlpEndpointKey}=collector:4317"]));

        StringAssert.Contains(error.Message, ServiceTelemetry.OtlpEndpointKey);
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;
}
