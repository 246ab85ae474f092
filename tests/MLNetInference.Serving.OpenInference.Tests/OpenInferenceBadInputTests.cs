using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace MLNetInference.Serving.OpenInference.Tests;

[TestClass]
public sealed class OpenInferenceBadInputTests
{
    private const string GoodRequest = """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]},{"name":"i32","datatype":"INT32","shape":[1,2],"data":[1,2]},{"name":"i64","datatype":"INT64","shape":[1,2],"data":[1,2]},{"name":"f64","datatype":"FP64","shape":[1,2],"data":[1,2]}]}""";

    private static V2TestServer s_server = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext context)
    {
        s_server = await V2TestServer.StartAsync(services => services
            .AddOpenInference(o =>
            {
                o.MaxTensorElements = 1 << 20;
                o.MaxRequestBodySize = 1 << 20;
            })
            .AddOnnxModel("cast", CastModel.Path, b => b.WorkersPerDevice = 1));
    }

    [ClassCleanup]
    public static async Task StopAsync() => await s_server.DisposeAsync();

    [TestMethod]
    [DataRow("unknown model", "/v2/models/nope/infer", GoodRequest, 404, "nope")]
    [DataRow("unknown version", "/v2/models/cast/versions/7/infer", GoodRequest, 404, "version")]
    [DataRow("not JSON", "/v2/models/cast/infer", "{inputs:", 400, "JSON")]
    [DataRow("no inputs", "/v2/models/cast/infer", """{"id":"1"}""", 400, "inputs")]
    [DataRow("unknown datatype", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP8","shape":[1,3],"data":[1,2,3]}]}""", 400, "'x'")]
    [DataRow("wrong input name", "/v2/models/cast/infer", """{"inputs":[{"name":"q","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}""", 400, "'q'")]
    [DataRow("missing input", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]}]}""", 400, "missing")]
    [DataRow("wrong datatype", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"INT64","shape":[1,3],"data":[1,2,3]},{"name":"i32","datatype":"INT32","shape":[1,2],"data":[1,2]},{"name":"i64","datatype":"INT64","shape":[1,2],"data":[1,2]},{"name":"f64","datatype":"FP64","shape":[1,2],"data":[1,2]}]}""", 400, "'x'")]
    [DataRow("shape disagrees with data", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[2,3],"data":[1,2,3]}]}""", 400, "'x'")]
    [DataRow("shape product overflows", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[2147483648,2147483648,2147483648],"data":[1]}]}""", 400, "'x'")]
    [DataRow("negative axis", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[-1,3],"data":[1,2,3]}]}""", 400, "'x'")]
    [DataRow("fixed axis differs", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"i32","datatype":"INT32","shape":[1,2],"data":[1,2]},{"name":"i64","datatype":"INT64","shape":[1,2],"data":[1,2]},{"name":"f64","datatype":"FP64","shape":[1,2],"data":[1,2]}]}""", 400, "'x'")]
    [DataRow("value of the wrong kind", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,"two",3]}]}""", 400, "'x'")]
    [DataRow("value out of range", "/v2/models/cast/infer", """{"inputs":[{"name":"i32","datatype":"INT32","shape":[1,1],"data":[3000000000]}]}""", 400, "'i32'")]
    [DataRow("unknown output", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]},{"name":"i32","datatype":"INT32","shape":[1,2],"data":[1,2]},{"name":"i64","datatype":"INT64","shape":[1,2],"data":[1,2]},{"name":"f64","datatype":"FP64","shape":[1,2],"data":[1,2]}],"outputs":[{"name":"zzz"}]}""", 400, "zzz")]
    [DataRow("batches disagree", "/v2/models/cast/infer", """{"inputs":[{"name":"x","datatype":"FP32","shape":[2,3],"data":[1,2,3,4,5,6]},{"name":"i32","datatype":"INT32","shape":[1,2],"data":[1,2]},{"name":"i64","datatype":"INT64","shape":[1,2],"data":[1,2]},{"name":"f64","datatype":"FP64","shape":[1,2],"data":[1,2]}]}""", 400, "batch")]
    public async Task Infer_BadJsonRequest_GetsItsStatusAndTheServerKeepsServing(string what, string path, string body, int status, string mentions)
    {
        using var response = await s_server.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.AreEqual(status, (int)response.StatusCode, $"{what}: {text}");
        using var error = JsonDocument.Parse(text);
        StringAssert.Contains(error.RootElement.GetProperty("error").GetString(), mentions, $"{what}: {text}");
        await AssertStillServes();
    }

    [TestMethod]
    [DataRow("binary size past the body", 1000, 24, 400)]
    [DataRow("binary size disagrees with the shape", 12, 12, 400)]
    [DataRow("bytes left after the tensors", 20, 24, 400)]
    public async Task Infer_BadBinaryRequest_Gets400AndTheServerKeepsServing(string what, int declaredSize, int sentBytes, int status)
    {
        var header = Encoding.UTF8.GetBytes($$$"""{"inputs":[{"name":"x","datatype":"FP32","shape":[2,3],"parameters":{"binary_data_size":{{{declaredSize}}}}}]}""");
        var body = header.Concat(new byte[sentBytes]).ToArray();
        using var content = new ByteArrayContent(body);
        content.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await s_server.Http.PostAsync("/v2/models/cast/infer", content);

        Assert.AreEqual(status, (int)response.StatusCode, $"{what}: {await response.Content.ReadAsStringAsync()}");
        await AssertStillServes();
    }

    [TestMethod]
    public async Task Infer_HeaderLengthPastTheBody_Gets400()
    {
        using var content = new StringContent(GoodRequest, Encoding.UTF8, "application/json");
        content.Headers.Add("Inference-Header-Content-Length", "100000");

        using var response = await s_server.Http.PostAsync("/v2/models/cast/infer", content);

        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [TestMethod]
    public async Task Infer_BodyOverTheLimit_Gets413UnreadAndTheServerKeepsServing()
    {
        using var content = new ByteArrayContent(new byte[(1 << 20) + 1]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await s_server.Http.PostAsync("/v2/models/cast/infer", content);

        Assert.AreEqual(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertStillServes();
    }

    [TestMethod]
    public async Task Infer_ShapeBomb_IsRefusedWithoutAllocatingTheClaimedSize()
    {
        // 2^31 x 2^31 elements overflow; 1024 x 1024 x 4 FP32 (16 MiB) is over the 1 Mi-element limit but would fit in memory.
        var overflow = """{"inputs":[{"name":"x","datatype":"FP32","shape":[2147483648,2147483648],"data":[1,2,3]}]}""";
        var overLimit = """{"inputs":[{"name":"x","datatype":"FP32","shape":[1024,1024,4],"data":[1,2,3]}]}""";
        await AssertStillServes();

        var before = GC.GetTotalAllocatedBytes(precise: true);
        using var first = await s_server.Http.PostAsync("/v2/models/cast/infer", new StringContent(overflow, Encoding.UTF8, "application/json"));
        using var second = await s_server.Http.PostAsync("/v2/models/cast/infer", new StringContent(overLimit, Encoding.UTF8, "application/json"));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.AreEqual(HttpStatusCode.BadRequest, first.StatusCode);
        Assert.AreEqual(HttpStatusCode.BadRequest, second.StatusCode);
        StringAssert.Contains(await first.Content.ReadAsStringAsync(), "'x'");
        StringAssert.Contains(await second.Content.ReadAsStringAsync(), "'x'");
        Assert.IsTrue(allocated < 4 * 1024 * 1024, $"The process allocated {allocated} bytes answering the shape bombs; the claimed tensor alone is 16 MiB.");
        await AssertStillServes();
    }

    [TestMethod]
    public async Task Metadata_UnknownModel_Gets404WithAnErrorBody()
    {
        using var response = await s_server.Http.GetAsync("/v2/models/nope");
        using var ready = await s_server.Http.GetAsync("/v2/models/nope/ready");

        Assert.AreEqual(HttpStatusCode.NotFound, response.StatusCode);
        Assert.AreEqual(HttpStatusCode.NotFound, ready.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        StringAssert.Contains(error.RootElement.GetProperty("error").GetString(), "cast");
    }

    [TestMethod]
    public async Task Infer_ConcurrentGoodAndBadRequests_OnlyTheBadOnesFail()
    {
        var bad = """{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3],"data":[1,2,3]},{"name":"i32","datatype":"INT32","shape":[1,2],"data":[1,2]},{"name":"i64","datatype":"INT64","shape":[1,2],"data":[1,2]},{"name":"f64","datatype":"FP64","shape":[1,3],"data":[1,2,3]}]}""";
        var tasks = Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = await s_server.Http.PostAsync("/v2/models/cast/infer", new StringContent(i % 4 == 0 ? bad : GoodRequest, Encoding.UTF8, "application/json"));
            return (i, response.StatusCode);
        });

        var results = await Task.WhenAll(tasks);

        foreach (var (i, status) in results)
        {
            Assert.AreEqual(i % 4 == 0 ? HttpStatusCode.BadRequest : HttpStatusCode.OK, status, $"request {i}");
        }
    }

    private static async Task AssertStillServes()
    {
        using var response = await s_server.Http.PostAsync("/v2/models/cast/infer", new StringContent(GoodRequest, Encoding.UTF8, "application/json"));
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
