using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MLNetInference.Benchmarks.Harness;
using MLNetInference.Models;
using MLNetInference.Serving;
using MLNetInference.Serving.OpenInference;
using MLNetInference.Serving.OpenInference.Grpc;
using MLNetInference.Serving.OpenInference.Internal;

namespace MLNetInference.Benchmarks.Workloads;

/// <summary>
/// P8 Open Inference Protocol: MiniLM sentence embeddings at 32 closed-loop clients through our V2 server on loopback
/// (gRPC with raw contents, REST with binary tensors, REST with JSON) against the same pool called in process; and
/// the per-request overhead of each protocol on the small MLP of P4, one client.
/// </summary>
internal sealed class OpenInferenceWorkload : IWorkload
{
    private const int SentenceCount = 1000;
    private const int MlpInputs = 256;
    private const string InProcess = "a-in-process-pool";

    public string Name => "p8";

    public string Title => "P8 Open Inference Protocol: MiniLM at 32 clients over loopback (V2 gRPC, REST binary, REST JSON) against the in-process pool";

    public IReadOnlyList<BenchmarkRecord> Run(bool quick, TextWriter progress)
    {
        var rounds = quick ? 5 : 9;
        var slice = TimeSpan.FromSeconds(quick ? 2 : 3);
        var warmUp = TimeSpan.FromSeconds(1);
        var sentences = SentenceCorpus.Load(SentenceCount).ToArray();
        var rows = sentences.Select(s => new TextRow { Text = s }).ToArray();
        var random = new Random(7);
        var mlpRows = Enumerable.Range(0, MlpInputs)
            .Select(_ => new SmallModelWorkload.MlpInput { Features = [.. Enumerable.Range(0, FixtureModels.SmallMlpInputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))] })
            .ToArray();

        progress.WriteLine("  building the zip and starting the V2 server on loopback");
        var zip = MiniLmPools.BuildZip(Path.Combine(Path.GetTempPath(), $"mlnetinference-bench-p8-{Environment.ProcessId}.zip"));
        var mlpPath = FixtureModels.EnsureFile(FixtureModels.SmallMlpName);
        var app = StartServer(zip, mlpPath, out var restUri, out var grpcUri);
        try
        {
            var pool = app.Services.GetRequiredService<PredictionEnginePool<TextRow, EmbeddingRow>>();
            var mlpPool = app.Services.GetRequiredService<PredictionEnginePool<SmallModelWorkload.MlpInput, SmallModelWorkload.MlpOutput>>();
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = restUri };
            using var channel = GrpcChannel.ForAddress(grpcUri, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } });
            var grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

            // Requests are serialized once, before timing: the figures are the server's and the protocol's, not a client library's.
            var json = sentences.Select(s => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { inputs = new[] { new { name = "Text", datatype = "BYTES", shape = new[] { 1 }, data = new[] { s } } } }))).ToArray();
            var binary = sentences.Select(BinaryBody).ToArray();
            var grpcRequests = sentences.Select(s => GrpcRequest("minilm", "Text", "BYTES", [1], LengthPrefixed(s))).ToArray();
            var mlpJson = mlpRows.Select(r => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { inputs = new[] { new { name = "features", datatype = "FP32", shape = new[] { 1, r.Features.Length }, data = r.Features } } }))).ToArray();
            var mlpBinary = mlpRows.Select(r => BinaryBody("features", "FP32", [1, r.Features.Length], System.Runtime.InteropServices.MemoryMarshal.AsBytes(r.Features.AsSpan()).ToArray())).ToArray();
            var mlpGrpc = mlpRows.Select(r => GrpcRequest("mlp", "features", "FP32", [1, r.Features.Length], System.Runtime.InteropServices.MemoryMarshal.AsBytes(r.Features.AsSpan()).ToArray())).ToArray();

            var check = Check(pool, http, grpc, rows[..8], json, binary, grpcRequests);
            progress.WriteLine($"  check: {check}");

            TimeSpan Duration(int round) => round < 0 ? warmUp : slice;
            var records = new List<BenchmarkRecord>();
            foreach (var (model, clients, count, local, restJson, restBinary, grpcCall) in new (string, int, int, Func<long, Task>, Func<long, Task>, Func<long, Task>, Func<long, Task>)[]
            {
                ("minilm", 32, SentenceCount,
                    i => pool.PredictAsync("minilm", rows[i % SentenceCount]),
                    i => Post(http, "minilm", json[i % SentenceCount], null),
                    i => Post(http, "minilm", binary[i % SentenceCount].Body, binary[i % SentenceCount].HeaderLength),
                    i => grpc.ModelInferAsync(grpcRequests[i % SentenceCount]).ResponseAsync),
                ("mlp", 1, MlpInputs,
                    i => mlpPool.PredictAsync("mlp", mlpRows[i % MlpInputs]),
                    i => Post(http, "mlp", mlpJson[i % MlpInputs], null),
                    i => Post(http, "mlp", mlpBinary[i % MlpInputs].Body, mlpBinary[i % MlpInputs].HeaderLength),
                    i => grpc.ModelInferAsync(mlpGrpc[i % MlpInputs]).ResponseAsync),
            })
            {
                progress.WriteLine($"  {model}, {clients} clients");
                var variants = new[]
                {
                    new BenchmarkVariant { Name = $"{InProcess}-{model}", Clients = clients, RunTimedSlice = (round, l) => ClosedLoop.RunTasks(clients, Duration(round), local, l) },
                    new BenchmarkVariant { Name = $"b-v2-grpc-raw-{model}", Clients = clients, BaselineName = $"{InProcess}-{model}", RunTimedSlice = (round, l) => ClosedLoop.RunTasks(clients, Duration(round), grpcCall, l) },
                    new BenchmarkVariant { Name = $"c-v2-rest-binary-{model}", Clients = clients, BaselineName = $"{InProcess}-{model}", RunTimedSlice = (round, l) => ClosedLoop.RunTasks(clients, Duration(round), restBinary, l) },
                    new BenchmarkVariant { Name = $"d-v2-rest-json-{model}", Clients = clients, BaselineName = $"{InProcess}-{model}", RunTimedSlice = (round, l) => ClosedLoop.RunTasks(clients, Duration(round), restJson, l) },
                };
                var note = (model == "minilm"
                        ? $"MiniLM fp32 zip (EmbedSentences) in our PredictionEnginePool with its default batching, {SentenceCount} corpus sentences, one sentence per request, {clients} closed-loop async clients; "
                        : $"FixtureModels.SmallMlp (P4's 32→64→4 MLP) in our pool (FromOnnxFile, default batching), one request of one row at a time: the latency difference to (a) is the protocol's per-request overhead; ") +
                    "(a) pool.PredictAsync in process; (b)-(d) the same pool behind our V2 server (MapOpenInference, Kestrel on 127.0.0.1 in the same process: REST on an HTTP/1.1 port, gRPC on an h2c port), " +
                    "(b) gRPC ModelInfer with raw_input_contents, (c) REST infer with the binary tensor extension, (d) REST infer with JSON data; request bodies serialized before timing, responses read but not decoded; " +
                    $"{rounds} interleaved rounds of {slice.TotalSeconds:F0} s; {check}; client and server share the machine's cores.";
                records.AddRange(new InterleavedRun(variants).Execute(Name, rounds, _ => note, progress));
            }

            return records;
        }
        finally
        {
            app.StopAsync().GetAwaiter().GetResult();
            ((IAsyncDisposable)app).DisposeAsync().AsTask().GetAwaiter().GetResult();
            File.Delete(zip);
        }
    }

    private static WebApplication StartServer(string zip, string mlpPath, out Uri rest, out Uri grpc)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
            k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddPredictionEnginePool<TextRow, EmbeddingRow>().FromFile("minilm", zip);
        builder.Services.AddPredictionEnginePool<SmallModelWorkload.MlpInput, SmallModelWorkload.MlpOutput>().FromOnnxFile("mlp", mlpPath, o =>
        {
            o.InputColumns["features"] = "features";
            o.OutputColumns["scores"] = "scores";
        });
        builder.Services.AddOpenInference()
            .AddPredictionEnginePool<TextRow, EmbeddingRow>()
            .AddPredictionEnginePool<SmallModelWorkload.MlpInput, SmallModelWorkload.MlpOutput>();
        var app = builder.Build();
        app.MapOpenInference();
        app.StartAsync().GetAwaiter().GetResult();
        app.Services.GetRequiredService<ModelRegistry>().Loaded.WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToArray();
        rest = addresses[0];
        grpc = addresses[1];
        return app;
    }

    private static async Task Post(HttpClient http, string model, byte[] body, int? headerLength)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(headerLength is null ? "application/json" : "application/octet-stream");
        if (headerLength is { } length)
        {
            content.Headers.Add("Inference-Header-Content-Length", length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await http.PostAsync($"v2/models/{model}/infer", content).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"The V2 server answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        }
    }

    private static byte[] LengthPrefixed(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var result = new byte[4 + bytes.Length];
        BinaryPrimitives.WriteInt32LittleEndian(result, bytes.Length);
        bytes.CopyTo(result, 4);
        return result;
    }

    private static (byte[] Body, int HeaderLength) BinaryBody(string sentence) => BinaryBody("Text", "BYTES", [1], LengthPrefixed(sentence));

    private static (byte[] Body, int HeaderLength) BinaryBody(string name, string datatype, int[] shape, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            inputs = new[] { new { name, datatype, shape, parameters = new Dictionary<string, object> { ["binary_data_size"] = data.Length } } },
            parameters = new Dictionary<string, object> { ["binary_data_output"] = true },
        }));
        return ([.. header, .. data], header.Length);
    }

    private static ModelInferRequest GrpcRequest(string model, string name, string datatype, long[] shape, byte[] data)
    {
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype, Shape = { shape } });
        request.RawInputContents.Add(ByteString.CopyFrom(data));
        return request;
    }

    private static string Check(PredictionEnginePool<TextRow, EmbeddingRow> pool, HttpClient http, GRPCInferenceService.GRPCInferenceServiceClient grpc, TextRow[] rows, byte[][] json, (byte[] Body, int HeaderLength)[] binary, ModelInferRequest[] grpcRequests)
    {
        var worst = 1.0;
        for (var i = 0; i < rows.Length; i++)
        {
            var local = pool.Predict("minilm", rows[i]).Vector;
            var response = grpc.ModelInfer(grpcRequests[i]);
            var remote = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span).ToArray();
            worst = Math.Min(worst, System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(local, remote));
            Post(http, "minilm", json[i], null).GetAwaiter().GetResult();
            Post(http, "minilm", binary[i].Body, binary[i].HeaderLength).GetAwaiter().GetResult();
        }

        if (worst < 0.99999)
        {
            throw new InvalidOperationException($"The V2 answers differ from the in-process pool's (cosine {worst}); the comparison would not be fair.");
        }

        return $"V2 gRPC embeddings equal the in-process pool's on {rows.Length} sentences (min cosine {worst:F6})";
    }
}
