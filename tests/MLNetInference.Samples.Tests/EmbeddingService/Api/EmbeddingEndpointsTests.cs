using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Testing;
using MLNetInference.Samples.EmbeddingService;
using MLNetInference.Samples.EmbeddingService.Api;
using static MLNetInference.Samples.Tests.EmbeddingServiceFixture;

namespace MLNetInference.Samples.Tests.EmbeddingService.Api;

[TestClass]
public sealed class EmbeddingEndpointsTests
{
    private static WebApplicationFactory<Program> _factory = null!;
    private static HttpClient _client = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void StartService(TestContext context)
    {
        _ = context;
        _factory = CreateFactory(("Embedder:MaxTextLength", "200"));
        _client = _factory.CreateClient();
    }

    [ClassCleanup]
    public static void StopService()
    {
        _client.Dispose();
        _factory.Dispose();
    }

    [TestMethod]
    public async Task Embed_Sentence_Returns384FloatsOfUnitNorm()
    {
        var response = await EmbedAsync("The quick brown fox jumps over the lazy dog.");

        Assert.HasCount(Embedding.Dimensions, response.Embedding);
        Assert.AreEqual(1.0, Norm(response.Embedding), 1e-4);
    }

    [TestMethod]
    public async Task Embed_Sentence_EqualsTheEmbedSentencesEstimator()
    {
        const string Text = "ML.NET pipelines can batch ONNX models across requests.";
        var expected = EmbedWithEstimator([Text])[0];

        var actual = await EmbedAsync(Text);

        Assert.IsGreaterThanOrEqualTo(0.9999, Cosine(expected, actual.Embedding));
    }

    [TestMethod]
    public async Task EmbedBatch_Texts_EqualSingleEmbeddingsInOrder()
    {
        string[] texts = ["first text", "a second, somewhat longer text", "third"];

        using var http = await _client.PostAsJsonAsync("/embed/batch", new EmbedBatchRequest(texts), TestContext.CancellationToken);
        http.EnsureSuccessStatusCode();
        var batch = await http.Content.ReadFromJsonAsync<EmbedBatchResponse>(TestContext.CancellationToken);

        Assert.IsNotNull(batch);
        Assert.HasCount(texts.Length, batch.Embeddings);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.IsGreaterThanOrEqualTo(0.9999, Cosine((await EmbedAsync(texts[i])).Embedding, batch.Embeddings[i]), $"text {i}");
        }
    }

    [TestMethod]
    public async Task Similarity_SentenceWithItself_IsOneAndAboveAnUnrelatedSentence()
    {
        const string Sentence = "The cat sleeps on the warm windowsill.";

        var self = await SimilarityAsync(Sentence, Sentence);
        var unrelated = await SimilarityAsync(Sentence, "Quarterly tax filings are due at the end of the month.");

        Assert.AreEqual(1.0, self, 1e-4);
        Assert.IsLessThan(self - 0.2, unrelated);
    }

    [TestMethod]
    [DataRow("/embed", """{"text":""}""", "'text' is empty")]
    [DataRow("/embed", """{"text":"   "}""", "'text' is empty")]
    [DataRow("/embed", """{}""", "'text' is required")]
    [DataRow("/similarity", """{"a":"fine","b":""}""", "'b' is empty")]
    [DataRow("/embed/batch", """{"texts":[]}""", "'texts' is required")]
    [DataRow("/embed/batch", """{"texts":["ok",""]}""", "'texts[1]' is empty")]
    public async Task Post_EmptyOrMissingText_Returns400ProblemNamingIt(string path, string body, string expectedDetail)
    {
        var problem = await PostExpectingProblemAsync(path, body, HttpStatusCode.BadRequest);

        Assert.Contains(expectedDetail, problem.Detail ?? string.Empty);
    }

    [TestMethod]
    public async Task Embed_TextOverTheConfiguredLimit_Returns400ProblemWithTheLimit()
    {
        var body = $$"""{"text":"{{new string('a', 201)}}"}""";

        var problem = await PostExpectingProblemAsync("/embed", body, HttpStatusCode.BadRequest);

        Assert.Contains("limit is 200", problem.Detail ?? string.Empty);
    }

    [TestMethod]
    [DataRow("""{"text":""")]
    [DataRow("""not json""")]
    [DataRow("""{"text":42}""")]
    public async Task Embed_MalformedJson_Returns400ProblemSayingSo(string body)
    {
        var problem = await PostExpectingProblemAsync("/embed", body, HttpStatusCode.BadRequest);

        Assert.Contains("JSON", problem.Detail ?? string.Empty);
    }

    private async Task<EmbedResponse> EmbedAsync(string text)
    {
        using var http = await _client.PostAsJsonAsync("/embed", new EmbedRequest(text), TestContext.CancellationToken);
        Assert.AreEqual(HttpStatusCode.OK, http.StatusCode, await http.Content.ReadAsStringAsync(TestContext.CancellationToken));
        return await http.Content.ReadFromJsonAsync<EmbedResponse>(TestContext.CancellationToken) ?? throw new AssertFailedException("empty body");
    }

    private async Task<double> SimilarityAsync(string a, string b)
    {
        using var http = await _client.PostAsJsonAsync("/similarity", new SimilarityRequest(a, b), TestContext.CancellationToken);
        http.EnsureSuccessStatusCode();
        var response = await http.Content.ReadFromJsonAsync<SimilarityResponse>(TestContext.CancellationToken);
        return response?.Cosine ?? throw new AssertFailedException("empty body");
    }

    private async Task<ProblemDetails> PostExpectingProblemAsync(string path, string body, HttpStatusCode expected)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var http = await _client.PostAsync(path, content, TestContext.CancellationToken);
        var text = await http.Content.ReadAsStringAsync(TestContext.CancellationToken);

        Assert.AreEqual(expected, http.StatusCode, text);
        Assert.AreEqual("application/problem+json", http.Content.Headers.ContentType?.MediaType, text);
        var problem = System.Text.Json.JsonSerializer.Deserialize<ProblemDetails>(text, System.Text.Json.JsonSerializerOptions.Web);
        Assert.IsNotNull(problem);
        Assert.AreEqual((int)expected, problem.Status);
        return problem;
    }
}
