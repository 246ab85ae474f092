namespace MLNetInference.Samples.EmbeddingService.Api;

/// <summary>The answer of <c>POST /embed/batch</c>: one embedding per text, in request order.</summary>
public sealed record EmbedBatchResponse(IReadOnlyList<float[]> Embeddings);
