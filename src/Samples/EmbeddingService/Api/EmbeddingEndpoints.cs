using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MLNetInference.Serving;

namespace MLNetInference.Samples.EmbeddingService.Api;

/// <summary>Maps <c>POST /embed</c>, <c>POST /embed/batch</c> and <c>POST /similarity</c>.</summary>
/// <remarks>
/// Bad input found here is answered with a 400 problem; what the pool throws (queue full, timeout, model unavailable,
/// text the tokenizer rejects) is turned into a problem by <see cref="Internal.PredictionExceptionHandler"/>.
/// </remarks>
public static class EmbeddingEndpoints
{
    /// <summary>Maps the inference endpoints in one group, so that rate limiting and authentication apply to them alone.</summary>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <returns>The group of inference endpoints.</returns>
    public static RouteGroupBuilder MapEmbeddingEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(string.Empty)
            .WithTags("Embeddings")
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status504GatewayTimeout);
        group.MapPost("/embed", EmbedAsync)
            .WithName("Embed")
            .WithSummary("Embeds one text: a 384-float MiniLM sentence embedding with L2 norm 1.");
        group.MapPost("/embed/batch", EmbedBatchAsync)
            .WithName("EmbedBatch")
            .WithSummary("Embeds up to Embedder:MaxBatchTexts texts, in order; they join the pool's batches like single requests.");
        group.MapPost("/similarity", SimilarityAsync)
            .WithName("Similarity")
            .WithSummary("The cosine similarity of two texts' embeddings.");
        return group;
    }

    private static async Task<Results<Ok<EmbedResponse>, ProblemHttpResult>> EmbedAsync(
        EmbedRequest request, PredictionEnginePool<TextInput, Embedding> pool, IOptions<EmbedderOptions> options, HttpContext context)
    {
        if (CheckText(request.Text, "text", options.Value) is { } problem)
        {
            return InvalidInput(problem);
        }

        var embedding = await pool.PredictAsync(EmbedderOptions.ModelName, new TextInput { Text = request.Text! }, context.RequestAborted);
        return TypedResults.Ok(new EmbedResponse(embedding.Vector));
    }

    private static async Task<Results<Ok<EmbedBatchResponse>, ProblemHttpResult>> EmbedBatchAsync(
        EmbedBatchRequest request, PredictionEnginePool<TextInput, Embedding> pool, IOptions<EmbedderOptions> options, HttpContext context)
    {
        var settings = options.Value;
        if (request.Texts is not { Count: > 0 } texts)
        {
            return InvalidInput("'texts' is required and must hold at least one text.");
        }

        if (texts.Count > settings.MaxBatchTexts)
        {
            return InvalidInput($"'texts' holds {texts.Count} texts; the limit is {settings.MaxBatchTexts} (Embedder:MaxBatchTexts). Split the request.");
        }

        var inputs = new TextInput[texts.Count];
        for (var i = 0; i < inputs.Length; i++)
        {
            if (CheckText(texts[i], $"texts[{i}]", settings) is { } problem)
            {
                return InvalidInput(problem);
            }

            inputs[i] = new TextInput { Text = texts[i]! };
        }

        var embeddings = await pool.PredictBatchAsync(EmbedderOptions.ModelName, inputs, context.RequestAborted);
        var vectors = new float[embeddings.Length][];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = embeddings[i].Vector;
        }

        return TypedResults.Ok(new EmbedBatchResponse(vectors));
    }

    private static async Task<Results<Ok<SimilarityResponse>, ProblemHttpResult>> SimilarityAsync(
        SimilarityRequest request, PredictionEnginePool<TextInput, Embedding> pool, IOptions<EmbedderOptions> options, HttpContext context)
    {
        if ((CheckText(request.A, "a", options.Value) ?? CheckText(request.B, "b", options.Value)) is { } problem)
        {
            return InvalidInput(problem);
        }

        // Both texts join the same batch when a worker is free.
        var embeddings = await pool.PredictBatchAsync(EmbedderOptions.ModelName, [new TextInput { Text = request.A! }, new TextInput { Text = request.B! }], context.RequestAborted);
        return TypedResults.Ok(new SimilarityResponse(Cosine(embeddings[0].Vector, embeddings[1].Vector)));
    }

    private static string? CheckText(string? text, string name, EmbedderOptions options)
    {
        if (text is null)
        {
            return $"'{name}' is required.";
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return $"'{name}' is empty; send at least one word.";
        }

        if (options.MaxTextLength > 0 && text.Length > options.MaxTextLength)
        {
            return $"'{name}' has {text.Length} characters; the limit is {options.MaxTextLength} (Embedder:MaxTextLength).";
        }

        return null;
    }

    private static ProblemHttpResult InvalidInput(string detail)
        => TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid input");

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            normA += a[i] * a[i];
            normB += b[i] * b[i];
        }

        return normA == 0 || normB == 0 ? 0 : dot / Math.Sqrt(normA * normB);
    }
}
