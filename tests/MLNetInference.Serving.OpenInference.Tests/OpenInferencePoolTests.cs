using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using MLNetInference.Models;
using MLNetInference.Serving.OpenInference.Grpc;
using static MLNetInference.Serving.OpenInference.Tests.TextModel;

namespace MLNetInference.Serving.OpenInference.Tests;

/// <summary>Our ML.NET MiniLM zip in a pool, served by its columns: BYTES sentences in, embeddings out.</summary>
[TestClass]
public sealed class OpenInferencePoolTests
{
    private static V2TestServer s_server = null!;
    private static string[] s_sentences = null!;
    private static float[][] s_expected = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        (s_server, s_sentences, s_expected) = await StartPoolServerAsync(12);
    }

    [ClassCleanup]
    public static async Task StopAsync() => await s_server.DisposeAsync();

    [TestMethod]
    public async Task ModelMetadata_Zip_ShowsItsColumns()
    {
        using var response = await s_server.Http.GetAsync("/v2/models/minilm");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var input = doc.RootElement.GetProperty("inputs")[0];
        var output = doc.RootElement.GetProperty("outputs")[0];
        Assert.AreEqual("Text", input.GetProperty("name").GetString());
        Assert.AreEqual("BYTES", input.GetProperty("datatype").GetString());
        Assert.AreEqual("embedding", output.GetProperty("name").GetString());
        Assert.AreEqual("FP32", output.GetProperty("datatype").GetString());
        CollectionAssert.AreEqual(new long[] { -1, 384 }, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
    }

    [TestMethod]
    public async Task Infer_RestJson_EqualsTheInProcessPool()
    {
        var body = JsonSerializer.Serialize(new { inputs = new[] { new { name = "Text", datatype = "BYTES", shape = new[] { s_sentences.Length }, data = s_sentences } } });

        using var response = await s_server.Http.PostAsync("/v2/models/minilm/infer", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
        using var doc = JsonDocument.Parse(text);
        var output = doc.RootElement.GetProperty("outputs")[0];
        CollectionAssert.AreEqual(new long[] { s_sentences.Length, 384 }, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        var flat = output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        AssertMatches(flat);
    }

    [TestMethod]
    public async Task Infer_RestBinaryWithShapeNBy1_EqualsTheInProcessPool()
    {
        var strings = s_sentences.SelectMany(s =>
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(prefix, bytes.Length);
            return prefix.Concat(bytes);
        }).ToArray();
        var header = $$$"""{"inputs":[{"name":"Text","datatype":"BYTES","shape":[{{{s_sentences.Length}}},1],"parameters":{"binary_data_size":{{{strings.Length}}}}}],"outputs":[{"name":"embedding","parameters":{"binary_data":true}}]}""";

        var (json, tensors) = await PostBinary(header, strings);

        using (json)
        {
            AssertMatches(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensors["embedding"]).ToArray());
        }
    }

    [TestMethod]
    public async Task Infer_GrpcTypedAndRaw_EqualTheInProcessPool()
    {
        var typed = new ModelInferRequest { ModelName = "minilm", Id = "g1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "Text", Datatype = "BYTES", Shape = { s_sentences.Length }, Contents = new InferTensorContents() };
        input.Contents.BytesContents.Add(s_sentences.Select(ByteString.CopyFromUtf8));
        typed.Inputs.Add(input);

        var raw = new ModelInferRequest { ModelName = "minilm" };
        raw.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "Text", Datatype = "BYTES", Shape = { s_sentences.Length } });
        raw.RawInputContents.Add(ByteString.CopyFrom(s_sentences.SelectMany(s =>
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(prefix, bytes.Length);
            return prefix.Concat(bytes);
        }).ToArray()));

        var typedAnswer = await s_server.Grpc.ModelInferAsync(typed);
        var rawAnswer = await s_server.Grpc.ModelInferAsync(raw);

        Assert.AreEqual("g1", typedAnswer.Id);
        CollectionAssert.AreEqual(new long[] { s_sentences.Length, 384 }, typedAnswer.Outputs[0].Shape.ToArray());
        AssertMatches([.. typedAnswer.Outputs[0].Contents.Fp32Contents]);
        Assert.AreEqual(1, rawAnswer.RawOutputContents.Count);
        AssertMatches(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(rawAnswer.RawOutputContents[0].Span).ToArray());
    }

    private static void AssertMatches(float[] flat)
    {
        Assert.AreEqual(s_sentences.Length * 384, flat.Length);
        for (var r = 0; r < s_sentences.Length; r++)
        {
            var cosine = Cosine(s_expected[r], flat.AsSpan(r * 384, 384).ToArray());
            Assert.IsTrue(cosine >= 0.99999, $"Sentence {r}: cosine {cosine} against the in-process pool.");
        }
    }

    private static async Task<(JsonDocument Json, Dictionary<string, byte[]> Tensors)> PostBinary(string header, byte[] tensor)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header);
        using var content = new ByteArrayContent([.. headerBytes, .. tensor]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", headerBytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await s_server.Http.PostAsync("/v2/models/minilm/infer", content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, Encoding.UTF8.GetString(bytes));
        var length = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var json = JsonDocument.Parse(bytes.AsMemory(0, length));
        var size = json.RootElement.GetProperty("outputs")[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32();
        return (json, new Dictionary<string, byte[]> { ["embedding"] = bytes.AsSpan(length, size).ToArray() });
    }
}
