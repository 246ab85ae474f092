using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace MLNetInference.Serving.OpenInference.Tests;

[TestClass]
public sealed class OpenInferenceRestTests
{
    private static readonly float[] X = [0f, 1f, 2.5f, 3f, 7f, 100f];

    private static V2TestServer s_server = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_server = await V2TestServer.StartAsync(services => services
            .AddOpenInference(o => o.MaxTensorElements = 1 << 20)
            .AddOnnxModel("cast", CastModel.Path, b => b.WorkersPerDevice = 1));
    }

    [ClassCleanup]
    public static async Task StopAsync() => await s_server.DisposeAsync();

    [TestMethod]
    public async Task Health_LiveAndReady_Answer200WithABody()
    {
        using var live = await s_server.Http.GetAsync("/v2/health/live");
        using var ready = await s_server.Http.GetAsync("/v2/health/ready");

        Assert.AreEqual(HttpStatusCode.OK, live.StatusCode);
        Assert.AreEqual("{\"live\":true}", await live.Content.ReadAsStringAsync());
        Assert.AreEqual(HttpStatusCode.OK, ready.StatusCode);
        Assert.AreEqual("{\"ready\":true}", await ready.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task ServerMetadata_NamesTheServerAndItsExtensions()
    {
        using var doc = await GetJson("/v2");

        Assert.AreEqual("mlnetinference", doc.RootElement.GetProperty("name").GetString());
        CollectionAssert.Contains(doc.RootElement.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()).ToList(), "binary_tensor_data");
    }

    [TestMethod]
    public async Task ModelMetadata_RawOnnx_ListsTensorsWithMinusOneForVariableAxes()
    {
        using var doc = await GetJson("/v2/models/cast");
        using var versioned = await GetJson("/v2/models/cast/versions/1");

        var root = doc.RootElement;
        Assert.AreEqual("cast", root.GetProperty("name").GetString());
        Assert.AreEqual("onnxruntime_onnx", root.GetProperty("platform").GetString());
        var x = root.GetProperty("inputs").EnumerateArray().Single(i => i.GetProperty("name").GetString() == "x");
        Assert.AreEqual("FP32", x.GetProperty("datatype").GetString());
        CollectionAssert.AreEqual(new long[] { -1, 3 }, x.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        var outputs = root.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("datatype").GetString());
        foreach (var (type, _) in CastModel.Outputs)
        {
            Assert.AreEqual(type, outputs[$"y_{type}"]);
        }

        Assert.AreEqual("cast", versioned.RootElement.GetProperty("name").GetString());
    }

    [TestMethod]
    public async Task ModelReady_LoadedModel_Answers200()
    {
        using var response = await s_server.Http.GetAsync("/v2/models/cast/ready");
        using var versioned = await s_server.Http.GetAsync("/v2/models/cast/versions/1/ready");

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.AreEqual(HttpStatusCode.OK, versioned.StatusCode);
    }

    [TestMethod]
    public async Task Infer_JsonNestedData_AnswersEveryDatatype()
    {
        var body = $$"""
            {"id":"r1","inputs":[
              {"name":"x","datatype":"FP32","shape":[2,3],"data":[[0,1,2.5],[3,7,100]]},
              {"name":"i32","datatype":"INT32","shape":[2,2],"data":[[1,-2],[2147483647,-2147483648]]},
              {"name":"i64","datatype":"INT64","shape":[2,2],"data":[1,-2,9007199254740993,-9223372036854775808]},
              {"name":"f64","datatype":"FP64","shape":[2,2],"data":[0.1,-1e300,3.5,2]}]}
            """;
        using var response = await PostJson("/v2/models/cast/infer", body);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var outputs = doc.RootElement.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!);

        Assert.AreEqual("r1", doc.RootElement.GetProperty("id").GetString());
        Assert.AreEqual("cast", doc.RootElement.GetProperty("model_name").GetString());
        foreach (var (type, _) in CastModel.Outputs)
        {
            var output = outputs[$"y_{type}"];
            Assert.AreEqual(type, output.GetProperty("datatype").GetString());
            CollectionAssert.AreEqual(new long[] { 2, 3 }, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), type);
            var data = output.GetProperty("data").EnumerateArray().Select(e => type == "BOOL" ? (e.GetBoolean() ? 1 : 0) : e.GetDouble()).ToArray();
            CollectionAssert.AreEqual(X.Select(v => CastModel.Expected(type, v)).ToArray(), data, type);
        }

        CollectionAssert.AreEqual(new long[] { 1, -2, 2147483647, -2147483648 }, outputs["i32_out"].GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        CollectionAssert.AreEqual(new long[] { 1, -2, 9007199254740993, long.MinValue }, outputs["i64_out"].GetProperty("data").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        CollectionAssert.AreEqual(new[] { 0.1, -1e300, 3.5, 2 }, outputs["f64_out"].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }

    [TestMethod]
    public async Task Infer_BinaryTensors_RoundTripEveryDatatypeBitExact()
    {
        var x = BytesOf(X);
        var i32 = BytesOf(new[] { 1, -2, int.MaxValue, int.MinValue });
        var i64 = BytesOf(new[] { 1L, -2L, long.MaxValue, long.MinValue });
        var f64 = BytesOf(new[] { 0.1, double.Epsilon, -1e300, 2 });
        var header = $$$"""
            {"inputs":[
              {"name":"x","datatype":"FP32","shape":[2,3],"parameters":{"binary_data_size":{{{x.Length}}}}},
              {"name":"i32","datatype":"INT32","shape":[2,2],"parameters":{"binary_data_size":{{{i32.Length}}}}},
              {"name":"i64","datatype":"INT64","shape":[2,2],"parameters":{"binary_data_size":{{{i64.Length}}}}},
              {"name":"f64","datatype":"FP64","shape":[2,2],"parameters":{"binary_data_size":{{{f64.Length}}}}}],
             "parameters":{"binary_data_output":true}}
            """;

        var (json, tensors) = await PostBinary("/v2/models/cast/infer", header, x, i32, i64, f64);

        using (json)
        {
            foreach (var (type, _) in CastModel.Outputs)
            {
                var bytes = tensors[$"y_{type}"];
                var expected = type switch
                {
                    "BOOL" => X.Select(v => (byte)(v != 0 ? 1 : 0)).ToArray(),
                    "UINT8" => X.Select(v => (byte)v).ToArray(),
                    "UINT16" => BytesOf(X.Select(v => (ushort)v).ToArray()),
                    "UINT32" => BytesOf(X.Select(v => (uint)v).ToArray()),
                    "UINT64" => BytesOf(X.Select(v => (ulong)v).ToArray()),
                    "INT8" => X.Select(v => unchecked((byte)(sbyte)v)).ToArray(),
                    "INT16" => BytesOf(X.Select(v => (short)v).ToArray()),
                    "INT32" => BytesOf(X.Select(v => (int)v).ToArray()),
                    "INT64" => BytesOf(X.Select(v => (long)v).ToArray()),
                    "FP16" => BytesOf(X.Select(v => (Half)v).ToArray()),
                    "FP32" => x,
                    _ => BytesOf(X.Select(v => (double)v).ToArray()),
                };
                CollectionAssert.AreEqual(expected, bytes, type);
            }

            CollectionAssert.AreEqual(i32, tensors["i32_out"]);
            CollectionAssert.AreEqual(i64, tensors["i64_out"]);
            CollectionAssert.AreEqual(f64, tensors["f64_out"]);
        }
    }

    [TestMethod]
    public async Task Infer_NamedOutputsMixingBinaryAndJson_AnswersOnlyThoseInTheirForm()
    {
        var header = """
            {"inputs":[
              {"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]},
              {"name":"i32","datatype":"INT32","shape":[1,2],"data":[1,2]},
              {"name":"i64","datatype":"INT64","shape":[1,2],"data":[1,2]},
              {"name":"f64","datatype":"FP64","shape":[1,2],"data":[1,2]}],
             "outputs":[{"name":"y_INT16","parameters":{"binary_data":true}},{"name":"y_FP64"}]}
            """;

        var (json, tensors) = await PostBinary("/v2/models/cast/infer", header);

        using (json)
        {
            var outputs = json.RootElement.GetProperty("outputs").EnumerateArray().ToArray();
            Assert.AreEqual(2, outputs.Length);
            CollectionAssert.AreEqual(BytesOf(new short[] { 1, 2, 3 }), tensors["y_INT16"]);
            CollectionAssert.AreEqual(new[] { 1.0, 2.0, 3.0 }, outputs[1].GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        }
    }

    [TestMethod]
    public async Task Statistics_AfterRequests_CountRowsAndBatchesInTritonsShape()
    {
        await PostJson("/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[4,3],"data":[1,2,3,4,5,6,7,8,9,10,11,12]},{"name":"i32","datatype":"INT32","shape":[4,2],"data":[1,2,3,4,5,6,7,8]},{"name":"i64","datatype":"INT64","shape":[4,2],"data":[1,2,3,4,5,6,7,8]},{"name":"f64","datatype":"FP64","shape":[4,2],"data":[1,2,3,4,5,6,7,8]}]}""");

        using var doc = await GetJson("/v2/models/cast/stats");

        var stats = doc.RootElement.GetProperty("model_stats")[0];
        Assert.AreEqual("cast", stats.GetProperty("name").GetString());
        Assert.IsTrue(stats.GetProperty("inference_count").GetInt64() >= 4);
        var inference = stats.GetProperty("inference_stats");
        Assert.IsTrue(inference.GetProperty("success").GetProperty("count").GetInt64() >= 1);
        Assert.IsTrue(inference.GetProperty("success").GetProperty("ns").GetInt64() > 0);
        Assert.IsTrue(inference.GetProperty("queue").GetProperty("count").GetInt64() >= 4);
        Assert.IsTrue(inference.GetProperty("compute_infer").GetProperty("count").GetInt64() >= 4);
        Assert.IsTrue(stats.GetProperty("batch_stats").GetArrayLength() >= 1);
    }

    internal static byte[] BytesOf<T>(T[] values)
        where T : unmanaged
        => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    internal static async Task<JsonDocument> GetJson(string path)
    {
        using var response = await s_server.Http.GetAsync(path);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    internal static Task<HttpResponseMessage> PostJson(string path, string body)
        => s_server.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>Posts a binary-extension request and splits the answer into its JSON header and its binary outputs by name.</summary>
    internal static async Task<(JsonDocument Json, Dictionary<string, byte[]> Tensors)> PostBinary(string path, string header, params byte[][] tensors)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var body = headerBytes.Concat(tensors.SelectMany(t => t)).ToArray();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.Add("Inference-Header-Content-Length", headerBytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await s_server.Http.PostAsync(path, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, Encoding.UTF8.GetString(bytes));
        var length = response.Headers.TryGetValues("Inference-Header-Content-Length", out var values) ? int.Parse(values.Single(), System.Globalization.CultureInfo.InvariantCulture) : bytes.Length;
        var json = JsonDocument.Parse(bytes.AsMemory(0, length));
        var result = new Dictionary<string, byte[]>();
        var offset = length;
        foreach (var output in json.RootElement.GetProperty("outputs").EnumerateArray())
        {
            if (output.TryGetProperty("parameters", out var p) && p.TryGetProperty("binary_data_size", out var size))
            {
                result[output.GetProperty("name").GetString()!] = bytes.AsSpan(offset, size.GetInt32()).ToArray();
                offset += size.GetInt32();
            }
        }

        Assert.AreEqual(bytes.Length, offset, "The binary outputs fill the body.");
        return (json, result);
    }

    internal static int ReadLength(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadInt32LittleEndian(bytes);
}
