using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using MLNetInference.Models;
using MLNetInference.Serving.Repository;

namespace MLNetInference.Serving.OpenInference.Tests;

/// <summary>An exported Triton-layout repository of MiniLM, served by tensor names (what the InferenceServer sample runs).</summary>
[TestClass]
public sealed class OpenInferenceRepositoryTests
{
    private static readonly long[] Ids = [101, 7592, 2088, 102, 101, 2023, 2003, 102];

    [TestMethod]
    public async Task AddModelRepository_ExportedMiniLm_AnswersLikeOnnxRuntimeOverRestAndGrpc()
    {
        var repository = Path.Combine(Path.GetTempPath(), $"mlnetinference-v2-repo-{Guid.NewGuid():N}");
        try
        {
            var entry = ModelRepository.Export(ModelPaths.MiniLmModel, repository, "minilm");
            await using var server = await V2TestServer.StartAsync(services => services.AddOpenInference().AddModelRepository(repository));

            using var metadata = JsonDocument.Parse(await server.Http.GetStringAsync("/v2/models/minilm"));
            Assert.AreEqual(entry.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), metadata.RootElement.GetProperty("versions")[0].GetString());
            CollectionAssert.AreEqual(new long[] { -1, -1 }, metadata.RootElement.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());

            var body = JsonSerializer.Serialize(new
            {
                inputs = new object[]
                {
                    new { name = "input_ids", datatype = "INT64", shape = new[] { 2, 4 }, data = Ids },
                    new { name = "attention_mask", datatype = "INT64", shape = new[] { 2, 4 }, data = Enumerable.Repeat(1L, 8) },
                    new { name = "token_type_ids", datatype = "INT64", shape = new[] { 2, 4 }, data = new long[8] },
                },
                outputs = new[] { new { name = "last_hidden_state" } },
            });
            using var response = await server.Http.PostAsync("/v2/models/minilm/infer", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, text);
            using var answer = JsonDocument.Parse(text);
            var output = answer.RootElement.GetProperty("outputs")[0];
            CollectionAssert.AreEqual(new long[] { 2, 4, 384 }, output.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
            var served = output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();

            var reference = RunOnnxRuntime();
            for (var token = 0; token < 8; token++)
            {
                var cosine = TextModel.Cosine(reference.AsSpan(token * 384, 384).ToArray(), served.AsSpan(token * 384, 384).ToArray());
                Assert.IsTrue(cosine >= 0.99999, $"Token {token}: cosine {cosine} against ONNX Runtime.");
            }
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
        }
    }

    private static float[] RunOnnxRuntime()
    {
        using var session = new InferenceSession(ModelPaths.MiniLmModel);
        using var ids = OrtValue.CreateTensorValueFromMemory(Ids.ToArray(), [2, 4]);
        using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, 8).ToArray(), [2, 4]);
        using var types = OrtValue.CreateTensorValueFromMemory(new long[8], [2, 4]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [ids, mask, types], ["last_hidden_state"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
